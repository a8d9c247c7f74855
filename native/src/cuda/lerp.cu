// CUDA lerp (graft/lerp.h): a, b, w, out (N) contiguous device arrays; out = fmaf(w, b - a, a), the
// CPU AVX2 path's formula, so the two agree bit for bit. out may alias a, b or w.
#include <cuda_runtime.h>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void lerp_kernel(const float* a, const float* b, const float* w, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float av = a[i];
    out[i] = fmaf(w[i], b[i] - av, av);
  }
}

}  // namespace

void lerp(const LerpParams& p, const float* a, const float* b, const float* w, float* out, int device) {
  cudaStream_t stream = stream_for("cudaLerp", device);
  if (p.n == 0) return;
  lerp_kernel<<<grid_for(p.n, kThreads), kThreads, 0, stream>>>(a, b, w, out, p.n);
  GRAFT_CUDA_CHECK_LAUNCH("cudaLerp", lerp_kernel);
}

}  // namespace graft::cuda
