// AVX-512 GEMM micro-kernel: ap (kc, 12) x bp (kc, 32) -> c (mr, nr) tile, row stride ldc.
// Twenty-four zmm accumulators hold the 12x32 tile; each step loads two B vectors and issues 24
// FMAs whose A operand is an embedded broadcast from the packed sliver. Zen 4 runs a zmm FMA as two
// 256-bit halves, so the gain over the 6x16 AVX2 tile is fewer loads and instructions per FMA and a
// tile that reads 7.3 bytes of L1 per FMA instead of 9.3.
// Each element's sum runs over l in order with one FMA per step, as in the AVX2 kernel.
// Only called when graft::use_avx512() (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl).
#include <immintrin.h>

#include <cmath>

#include "cpu/gemm_kernel.h"

namespace graft::cpu::gemm_detail {
namespace {

constexpr int MR = kMR512, NR = kNR512;

// Writes alpha*acc + beta*c for the valid part of a tile, with the full tile's formula.
void store_partial(const float (&acc)[MR][NR], float* c, int64_t ldc, int mr, int nr, float alpha, float beta) {
  for (int i = 0; i < mr; ++i) {
    float* crow = c + i * ldc;
    for (int j = 0; j < nr; ++j) {
      const float scaled = alpha * acc[i][j];
      crow[j] = beta == 0.0f ? scaled : std::fma(beta, crow[j], scaled);
    }
  }
}

inline void store_row(float* crow, __m512 lo, __m512 hi, __m512 valpha, __m512 vbeta, bool read_c) {
  lo = _mm512_mul_ps(valpha, lo);
  hi = _mm512_mul_ps(valpha, hi);
  if (read_c) {
    lo = _mm512_fmadd_ps(vbeta, _mm512_loadu_ps(crow), lo);
    hi = _mm512_fmadd_ps(vbeta, _mm512_loadu_ps(crow + 16), hi);
  }
  _mm512_storeu_ps(crow, lo);
  _mm512_storeu_ps(crow + 16, hi);
}

}  // namespace

void micro_kernel_avx512(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr,
                         float alpha, float beta) {
  for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) acc0[i] = _mm512_setzero_ps(), acc1[i] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t l = 0; l < kc; ++l, ap += MR, bp += NR) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      acc0[i] = _mm512_fmadd_ps(a, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(a, b1, acc1[i]);
    }
  }
  const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
  const bool read_c = beta != 0.0f;
  if (mr == MR && nr == NR) {
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) store_row(c + i * ldc, acc0[i], acc1[i], valpha, vbeta, read_c);
    return;
  }
  alignas(64) float acc[MR][NR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) _mm512_store_ps(acc[i], acc0[i]), _mm512_store_ps(acc[i] + 16, acc1[i]);
  store_partial(acc, c, ldc, mr, nr, alpha, beta);
}

}  // namespace graft::cpu::gemm_detail
