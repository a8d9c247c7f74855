// GEMM panel packing: a (M,K) or (K,M) -> A slivers (kc, MR); b (K,N) or (N,K) -> B slivers (kc, NR).
// Every transpose is absorbed here, so the micro-kernels only ever see one layout. Rows or columns
// past the matrix edge are written as zeros, which lets edge tiles run the full-size kernel.
#include <algorithm>
#include <cstring>

#include "cpu/gemm_kernel.h"

namespace graft::cpu::gemm_detail {
namespace {

constexpr int kMaxMR = 16;

// a (M,K), MR rows read side by side, each sequentially; the tile height is a template parameter so
// the inner loop unrolls.
template <int MR>
void pack_a_rows(const float* a, int64_t lda, int64_t i0, int mr, int64_t l0, int64_t kc, float* ap) {
  const float* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = a + (i0 + std::min(r, mr - 1)) * lda + l0;
  if (mr == MR) {
    for (int64_t l = 0; l < kc; ++l) {
      float* dst = ap + l * MR;
      for (int r = 0; r < MR; ++r) dst[r] = rows[r][l];
    }
    return;
  }
  for (int64_t l = 0; l < kc; ++l) {
    float* dst = ap + l * MR;
    for (int r = 0; r < mr; ++r) dst[r] = rows[r][l];
    for (int r = mr; r < MR; ++r) dst[r] = 0.0f;
  }
}

}  // namespace

void pack_a_sliver(const float* a, int64_t lda, bool trans, int64_t i0, int mr, int64_t l0, int64_t kc,
                   float* ap, int MR) {
  if (trans) {  // a (K,M): the MR values of one l are contiguous
    for (int64_t l = 0; l < kc; ++l) {
      const float* src = a + (l0 + l) * lda + i0;
      float* dst = ap + l * MR;
      for (int r = 0; r < mr; ++r) dst[r] = src[r];
      for (int r = mr; r < MR; ++r) dst[r] = 0.0f;
    }
    return;
  }
  if (MR == kMR) return pack_a_rows<kMR>(a, lda, i0, mr, l0, kc, ap);
  if (MR == kMR512) return pack_a_rows<kMR512>(a, lda, i0, mr, l0, kc, ap);
  // Any other height (not used by the kernels today): the same loop with a run-time bound.
  static_assert(kMR <= kMaxMR && kMR512 <= kMaxMR, "tile taller than the row table");
  const float* rows[kMaxMR];
  for (int r = 0; r < MR; ++r) rows[r] = a + (i0 + std::min(r, mr - 1)) * lda + l0;
  for (int64_t l = 0; l < kc; ++l)
    for (int r = 0; r < MR; ++r) ap[l * MR + r] = r < mr ? rows[r][l] : 0.0f;
}

void pack_b_sliver(const float* b, int64_t ldb, bool trans, int64_t l0, int64_t kc, int64_t j0, int nr,
                   float* bp, int NR) {
  if (!trans) {  // b (K,N): the NR values of one l are contiguous
    for (int64_t l = 0; l < kc; ++l) {
      const float* src = b + (l0 + l) * ldb + j0;
      float* dst = bp + l * NR;
      if (nr == NR) {
        std::memcpy(dst, src, sizeof(float) * NR);
      } else {
        for (int j = 0; j < nr; ++j) dst[j] = src[j];
        for (int j = nr; j < NR; ++j) dst[j] = 0.0f;
      }
    }
    return;
  }
  // b (N,K): column j of op(B) is row j0+j of b; read each sequentially, write with stride NR
  for (int j = 0; j < nr; ++j) {
    const float* src = b + (j0 + j) * ldb + l0;
    for (int64_t l = 0; l < kc; ++l) bp[l * NR + j] = src[l];
  }
  for (int j = nr; j < NR; ++j)
    for (int64_t l = 0; l < kc; ++l) bp[l * NR + j] = 0.0f;
}

}  // namespace graft::cpu::gemm_detail
