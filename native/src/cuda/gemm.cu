// CUDA GEMM entry point: a (M,K) or (K,M), b (K,N) or (N,K), c (M,N), row-major, strided batches
// (graft/gemm.h). The precision picks the path:
//   float32      -> gemm_f32.cu: 128x128 tiles of FMAs on CUDA cores, 8x8 outputs per thread.
//   tf32 / bf16  -> gemm_mma.cu: operands packed (rounded, K-contiguous, padded), then tensor-core tiles
//                   fed by a cp.async pipeline: wgmma on compute capability 9.0 (gemm_wgmma.cu), mma.sync
//                   on 8.x (and with GRAFT_WGMMA=0); float32 accumulation.
// Edge tiles load zeros outside the matrix and store only inside it. beta == 0 never reads C.
#include <cuda_runtime.h>

#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/gemm_tiles.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::Float32: return "float32";
    case Precision::Tf32: return "tf32";
    case Precision::Bf16: return "bf16";
  }
  return "?";
}

void gemm(const GemmParams& p, const float* a, const float* b, float* c, Precision precision, int device) {
  const char* op = "cudaGemm";
  cudaStream_t stream = stream_for(op, device);
  if (p.m == 0 || p.n == 0 || p.batch == 0) return;
  if (precision == Precision::Float32) return gemm_f32(p, a, b, c, stream);
  require_tensor_cores(op, precision, device);
  gemm_tensor_core(p, a, b, c, precision, device, stream);
}

void require_tensor_cores(const char* op, Precision precision, int device) {
  if (precision == Precision::Float32) return;
  const int cc = compute_capability(device);
  if (cc < 80)
    throw Error(std::string(op) + ": precision '" + precision_name(precision) +
                "' needs tensor cores of compute capability 8.0 or newer; device " + std::to_string(device) +
                " has " + std::to_string(cc / 10) + "." + std::to_string(cc % 10));
}

}  // namespace graft::cuda
