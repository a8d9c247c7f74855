// CUDA dropout (graft/random.h): x, y, dy, dx, mask (n). Element i keeps where the Philox word at
// stream position offset + i is >= ceil(p * 2^32) (the CPU's integer test), so for the same
// (seed, offset) the mask equals the CPU's bit for bit; y = x * (1/(1-p)) in float32, as the CPU.
#include <cuda_runtime.h>

#include <cmath>

#include "cuda/cuda_check.cuh"
#include "cuda/philox.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

float keep_scale(double p) { return p >= 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - p)); }

// One thread per Philox block of 4 stream positions.
__global__ void dropout_kernel(const float* x, float* y, uint8_t* mask, int64_t n, double threshold, float scale,
                               uint64_t seed, uint64_t offset) {
  const uint64_t first_block = offset / 4, last_block = (offset + static_cast<uint64_t>(n) - 1) / 4;
  for (uint64_t block = first_block + blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; block <= last_block;
       block += uint64_t(gridDim.x) * blockDim.x) {
    uint32_t w[4];
    philox_block_device(seed, block, w);
    for (uint64_t position = block * 4; position < block * 4 + 4; ++position) {
      if (position < offset || position - offset >= static_cast<uint64_t>(n)) continue;
      const uint64_t i = position - offset;
      const bool keep = static_cast<double>(w[position % 4]) >= threshold;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? x[i] * scale : 0.0f;
    }
  }
}

// p <= 0 keeps everything, p >= 1 drops everything (no random words are read).
__global__ void dropout_constant_kernel(const float* x, float* y, uint8_t* mask, int64_t n, bool keep, float scale) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

__global__ void dropout_backward_kernel(const float* dy, const uint8_t* mask, int64_t n, float scale, float* dx) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

}  // namespace

void dropout(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed, uint64_t offset, int device) {
  const char* op = "cudaDropout";
  cudaStream_t stream = stream_for(op, device);
  if (n == 0) return;
  const float scale = keep_scale(p);
  if (p <= 0.0 || p >= 1.0) {
    dropout_constant_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(x, y, mask, n, p <= 0.0, scale);
    GRAFT_CUDA_CHECK_LAUNCH(op, dropout_constant_kernel);
    return;
  }
  const double threshold = std::ceil(p * 0x1p32);
  const int64_t blocks = static_cast<int64_t>((offset + n - 1) / 4 - offset / 4 + 1);
  dropout_kernel<<<grid_for(blocks, kThreads), kThreads, 0, stream>>>(x, y, mask, n, threshold, scale, seed, offset);
  GRAFT_CUDA_CHECK_LAUNCH(op, dropout_kernel);
}

void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx, int device) {
  cudaStream_t stream = stream_for("cudaDropoutBackward", device);
  if (n == 0) return;
  dropout_backward_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(dy, mask, n, keep_scale(p), dx);
  GRAFT_CUDA_CHECK_LAUNCH("cudaDropoutBackward", dropout_backward_kernel);
}

}  // namespace graft::cuda
