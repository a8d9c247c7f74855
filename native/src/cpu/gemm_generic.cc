// Portable GEMM micro-kernel: ap (kc, MR) x bp (kc, NR) -> c (mr, nr) tile, row stride ldc.
// Used when the CPU lacks AVX2+FMA (or GRAFT_ISA=generic); plain C++ that compilers vectorise.
#include "cpu/gemm_kernel.h"

namespace graft::cpu::gemm_detail {

void micro_kernel_generic(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr,
                          int nr, float alpha, float beta) {
  float acc[kMR][kNR] = {};
  for (int64_t l = 0; l < kc; ++l) {
    const float* arow = ap + l * kMR;
    const float* brow = bp + l * kNR;
    for (int i = 0; i < kMR; ++i) {
      const float av = arow[i];
      for (int j = 0; j < kNR; ++j) acc[i][j] += av * brow[j];
    }
  }
  for (int i = 0; i < mr; ++i) {
    float* crow = c + i * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < nr; ++j) crow[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < nr; ++j) crow[j] = alpha * acc[i][j] + beta * crow[j];
    }
  }
}

}  // namespace graft::cpu::gemm_detail
