// AVX2+FMA GEMM micro-kernel: ap (kc, 6) x bp (kc, 16) -> c (mr, nr) tile, row stride ldc.
// Twelve ymm accumulators hold the 6x16 tile; each step loads two B vectors, broadcasts six A values
// and issues twelve FMAs, which keeps both FMA pipes busy with loads to spare.
// Only called when graft::use_avx2() (this file is compiled with -mavx2 -mfma).
#include <immintrin.h>

#include <cmath>

#include "cpu/gemm_kernel.h"

namespace graft::cpu::gemm_detail {
namespace {

// Writes alpha*acc + beta*c for the valid part of a tile; the same fused formula as the full-tile
// store, so an element's bits never depend on whether its tile touches the matrix edge.
void store_partial(const float (&acc)[kMR][kNR], float* c, int64_t ldc, int mr, int nr, float alpha,
                   float beta) {
  for (int i = 0; i < mr; ++i) {
    float* crow = c + i * ldc;
    for (int j = 0; j < nr; ++j) {
      const float scaled = alpha * acc[i][j];
      crow[j] = beta == 0.0f ? scaled : std::fma(beta, crow[j], scaled);
    }
  }
}

inline void store_row(float* crow, __m256 lo, __m256 hi, __m256 valpha, __m256 vbeta, bool read_c) {
  lo = _mm256_mul_ps(valpha, lo);
  hi = _mm256_mul_ps(valpha, hi);
  if (read_c) {
    lo = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(crow), lo);
    hi = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(crow + 8), hi);
  }
  _mm256_storeu_ps(crow, lo);
  _mm256_storeu_ps(crow + 8, hi);
}

}  // namespace

void micro_kernel_avx2(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr,
                       int nr, float alpha, float beta) {
  for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
  __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
  __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define GRAFT_GEMM_STEP(l)                                                     \
  {                                                                            \
    const __m256 b0 = _mm256_load_ps(bp + (l) * kNR);                          \
    const __m256 b1 = _mm256_load_ps(bp + (l) * kNR + 8);                      \
    const float* al = ap + (l) * kMR;                                          \
    __m256 av = _mm256_broadcast_ss(al + 0);                                   \
    c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);    \
    av = _mm256_broadcast_ss(al + 1);                                          \
    c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);    \
    av = _mm256_broadcast_ss(al + 2);                                          \
    c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);    \
    av = _mm256_broadcast_ss(al + 3);                                          \
    c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);    \
    av = _mm256_broadcast_ss(al + 4);                                          \
    c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);    \
    av = _mm256_broadcast_ss(al + 5);                                          \
    c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);    \
  }
  int64_t l = 0;
  for (; l + 4 <= kc; l += 4) {
    GRAFT_GEMM_STEP(0) GRAFT_GEMM_STEP(1) GRAFT_GEMM_STEP(2) GRAFT_GEMM_STEP(3)
    _mm_prefetch(reinterpret_cast<const char*>(bp + 16 * kNR), _MM_HINT_T0);
    ap += 4 * kMR;
    bp += 4 * kNR;
  }
  for (; l < kc; ++l) {
    GRAFT_GEMM_STEP(0)
    ap += kMR;
    bp += kNR;
  }
#undef GRAFT_GEMM_STEP
  const __m256 valpha = _mm256_set1_ps(alpha), vbeta = _mm256_set1_ps(beta);
  const bool read_c = beta != 0.0f;
  if (mr == kMR && nr == kNR) {
    store_row(c + 0 * ldc, c00, c01, valpha, vbeta, read_c);
    store_row(c + 1 * ldc, c10, c11, valpha, vbeta, read_c);
    store_row(c + 2 * ldc, c20, c21, valpha, vbeta, read_c);
    store_row(c + 3 * ldc, c30, c31, valpha, vbeta, read_c);
    store_row(c + 4 * ldc, c40, c41, valpha, vbeta, read_c);
    store_row(c + 5 * ldc, c50, c51, valpha, vbeta, read_c);
    return;
  }
  alignas(32) float acc[kMR][kNR];
  _mm256_store_ps(acc[0], c00); _mm256_store_ps(acc[0] + 8, c01);
  _mm256_store_ps(acc[1], c10); _mm256_store_ps(acc[1] + 8, c11);
  _mm256_store_ps(acc[2], c20); _mm256_store_ps(acc[2] + 8, c21);
  _mm256_store_ps(acc[3], c30); _mm256_store_ps(acc[3] + 8, c31);
  _mm256_store_ps(acc[4], c40); _mm256_store_ps(acc[4] + 8, c41);
  _mm256_store_ps(acc[5], c50); _mm256_store_ps(acc[5] + 8, c51);
  store_partial(acc, c, ldc, mr, nr, alpha, beta);
}

}  // namespace graft::cpu::gemm_detail
