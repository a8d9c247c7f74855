// out[i] = f(in[0][i], ..., in[K-1][i]) over packed float arrays, one thread per element (or four) over
// the grid's x dimension: the loop of the elementwise and batch-norm kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace graft::cuda {

__device__ __forceinline__ bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// out[i] = f({in[0][i], ..., in[K-1][i]}) for the four elements of float4 number q: one 16-byte load per
// input and one store (every pointer 16-byte aligned).
template <int K, typename F>
__device__ __forceinline__ void map_quad(const float* const (&in)[K], float* out, int64_t q, F f) {
  float lanes[K][4];
#pragma unroll
  for (int k = 0; k < K; ++k) {
    const float4 v = reinterpret_cast<const float4*>(in[k])[q];
    lanes[k][0] = v.x, lanes[k][1] = v.y, lanes[k][2] = v.z, lanes[k][3] = v.w;
  }
  float r[4];
#pragma unroll
  for (int c = 0; c < 4; ++c) {
    float args[K];
#pragma unroll
    for (int k = 0; k < K; ++k) args[k] = lanes[k][c];
    r[c] = f(args);
  }
  reinterpret_cast<float4*>(out)[q] = make_float4(r[0], r[1], r[2], r[3]);
}

// out[i] = f({in[0][i], ..., in[K-1][i]}) over contiguous arrays of n floats, four elements per step
// through float4 loads and stores where every pointer is 16-byte aligned (the allocator's blocks are; a
// tensor that starts inside its storage may not be), the rest one by one. The same values either way;
// out may be one of the inputs (each element is read before it is written, by the same thread).
template <int K, typename F>
__device__ __forceinline__ void map_contiguous(int64_t n, const float* const (&in)[K], float* out, F f) {
  bool vectors = aligned16(out);
#pragma unroll
  for (int k = 0; k < K; ++k) vectors = vectors && aligned16(in[k]);
  const int64_t first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x, step = int64_t(gridDim.x) * blockDim.x;
  const int64_t quads = vectors ? n / 4 : 0;
  for (int64_t q = first; q < quads; q += step) map_quad(in, out, q, f);
  for (int64_t i = 4 * quads + first; i < n; i += step) {
    float args[K];
#pragma unroll
    for (int k = 0; k < K; ++k) args[k] = in[k][i];
    out[i] = f(args);
  }
}

}  // namespace graft::cuda
