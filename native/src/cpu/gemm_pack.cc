// GEMM panel packing: a (M,K) or (K,M) -> A slivers (kc, MR); b (K,N) or (N,K) -> B slivers (kc, NR).
// Every transpose is absorbed here, so the micro-kernels only ever see one layout. Rows or columns
// past the matrix edge are written as zeros, which lets edge tiles run the full-size kernel.
#include <algorithm>
#include <cstring>

#include "cpu/gemm_kernel.h"

namespace graft::cpu::gemm_detail {

void pack_a_sliver(const float* a, int64_t lda, bool trans, int64_t i0, int mr, int64_t l0, int64_t kc,
                   float* ap) {
  if (trans) {  // a (K,M): the MR values of one l are contiguous
    for (int64_t l = 0; l < kc; ++l) {
      const float* src = a + (l0 + l) * lda + i0;
      float* dst = ap + l * kMR;
      for (int r = 0; r < mr; ++r) dst[r] = src[r];
      for (int r = mr; r < kMR; ++r) dst[r] = 0.0f;
    }
    return;
  }
  // a (M,K): read MR rows side by side, each sequentially
  const float* rows[kMR];
  for (int r = 0; r < kMR; ++r) rows[r] = a + (i0 + std::min(r, mr - 1)) * lda + l0;
  if (mr == kMR) {
    for (int64_t l = 0; l < kc; ++l) {
      float* dst = ap + l * kMR;
      for (int r = 0; r < kMR; ++r) dst[r] = rows[r][l];
    }
    return;
  }
  for (int64_t l = 0; l < kc; ++l) {
    float* dst = ap + l * kMR;
    for (int r = 0; r < mr; ++r) dst[r] = rows[r][l];
    for (int r = mr; r < kMR; ++r) dst[r] = 0.0f;
  }
}

void pack_b_sliver(const float* b, int64_t ldb, bool trans, int64_t l0, int64_t kc, int64_t j0, int nr,
                   float* bp) {
  if (!trans) {  // b (K,N): the NR values of one l are contiguous
    for (int64_t l = 0; l < kc; ++l) {
      const float* src = b + (l0 + l) * ldb + j0;
      float* dst = bp + l * kNR;
      if (nr == kNR) {
        std::memcpy(dst, src, sizeof(float) * kNR);
      } else {
        for (int j = 0; j < nr; ++j) dst[j] = src[j];
        for (int j = nr; j < kNR; ++j) dst[j] = 0.0f;
      }
    }
    return;
  }
  // b (N,K): column j of op(B) is row j0+j of b; read each sequentially, write with stride NR
  for (int j = 0; j < nr; ++j) {
    const float* src = b + (j0 + j) * ldb + l0;
    for (int64_t l = 0; l < kc; ++l) bp[l * kNR + j] = src[l];
  }
  for (int j = nr; j < kNR; ++j)
    for (int64_t l = 0; l < kc; ++l) bp[l * kNR + j] = 0.0f;
}

}  // namespace graft::cpu::gemm_detail
