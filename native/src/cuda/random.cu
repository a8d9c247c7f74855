// CUDA random fills with the stream mapping of graft/random.h: out (n), element i from stream position
// offset + i, one thread per Philox block of 4 positions (generator: cuda/philox.cuh). The double
// arithmetic uses _rn intrinsics so no multiply-add is contracted: uniform and bernoulli give the CPU's
// bits; normal differs only where the device's double log/sin/cos round differently from the host's.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/philox.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

enum class Distribution { Uniform, Normal, Bernoulli };

struct Draw {
  Distribution kind;
  double a, b;  // uniform: low, high; normal: mean, std; bernoulli: p
};

__device__ __forceinline__ float value_at(const Draw& d, const uint32_t w[4], uint64_t position) {
  const uint32_t word = w[position % 4];
  if (d.kind == Distribution::Uniform)
    return static_cast<float>(__dadd_rn(d.a, __dmul_rn(__dsub_rn(d.b, d.a), (word >> 8) * 0x1p-24)));
  if (d.kind == Distribution::Bernoulli) return word * 0x1p-32 < d.b ? 1.0f : 0.0f;
  const int even = static_cast<int>(position % 4) & ~1;  // the Box-Muller pair shares a block
  const double u1 = __dmul_rn(static_cast<double>(w[even]) + 1.0, 0x1p-32);
  const double u2 = w[even + 1] * 0x1p-32;
  const double r = sqrt(__dmul_rn(-2.0, log(u1))), theta = __dmul_rn(2.0 * 3.14159265358979323846, u2);
  const double trig = (position & 1) ? sin(theta) : cos(theta);
  return static_cast<float>(__dadd_rn(d.a, __dmul_rn(__dmul_rn(d.b, r), trig)));
}

__global__ void random_kernel(Draw d, float* out, int64_t n, uint64_t seed, uint64_t offset) {
  const uint64_t first_block = offset / 4, last_block = (offset + static_cast<uint64_t>(n) - 1) / 4;
  for (uint64_t block = first_block + blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; block <= last_block;
       block += uint64_t(gridDim.x) * blockDim.x) {
    uint32_t w[4];
    philox_block_device(seed, block, w);
    for (uint64_t position = block * 4; position < block * 4 + 4; ++position)
      if (position >= offset && position - offset < static_cast<uint64_t>(n))
        out[position - offset] = value_at(d, w, position);
  }
}

void fill(const char* op, Draw d, float* out, int64_t n, uint64_t seed, uint64_t offset, int device) {
  cudaStream_t stream = stream_for(op, device);
  if (n == 0) return;
  const int64_t blocks = static_cast<int64_t>((offset + n - 1) / 4 - offset / 4 + 1);
  random_kernel<<<grid_for(blocks, kThreads), kThreads, 0, stream>>>(d, out, n, seed, offset);
  GRAFT_CUDA_CHECK_LAUNCH(op, random_kernel);
}

}  // namespace

void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high, int device) {
  fill("cudaRandomUniform", Draw{Distribution::Uniform, low, high}, out, n, seed, offset, device);
}
void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std, int device) {
  fill("cudaRandomNormal", Draw{Distribution::Normal, mean, std}, out, n, seed, offset, device);
}
void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset, int device) {
  fill("cudaRandomBernoulli", Draw{Distribution::Bernoulli, 0.0, p}, out, n, seed, offset, device);
}

}  // namespace graft::cuda
