// CUDA fill (graft/cuda_ops.h): out (n) packed, elements of 1, 2, 4 or 8 bytes, every one set to the
// low elem_size bytes of `bits` (the caller encodes the value for the dtype).
#include <cuda_runtime.h>

#include <string>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

template <typename T>
void launch(void* out, int64_t n, uint64_t bits, cudaStream_t stream) {
  fill_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<T*>(out), n, static_cast<T>(bits));
  GRAFT_CUDA_CHECK_LAUNCH("cudaFill", fill_kernel);
}

}  // namespace

void fill(void* out, int64_t n, int elem_size, uint64_t bits, int device) {
  cudaStream_t stream = stream_for("cudaFill", device);
  if (n == 0) return;
  switch (elem_size) {
    case 1: return launch<uint8_t>(out, n, bits, stream);
    case 2: return launch<uint16_t>(out, n, bits, stream);
    case 4: return launch<uint32_t>(out, n, bits, stream);
    case 8: return launch<uint64_t>(out, n, bits, stream);
    default: throw Error("cudaFill: element size must be 1, 2, 4 or 8 bytes, got " + std::to_string(elem_size));
  }
}

}  // namespace graft::cuda
