// AVX2+FMA row reductions: 8 floats per step widened to two 4-lane double accumulators.
// Only called when graft::use_avx2().
#include <immintrin.h>

#include "cpu/norm_reduce.h"

namespace graft::cpu::norm_reduce::avx2 {
namespace {

inline double hsum(__m256d a, __m256d b) {
  const __m256d s = _mm256_add_pd(a, b);
  const __m128d lo = _mm256_castpd256_pd128(s), hi = _mm256_extractf128_pd(s, 1);
  const __m128d t = _mm_add_pd(lo, hi);
  return _mm_cvtsd_f64(t) + _mm_cvtsd_f64(_mm_unpackhi_pd(t, t));
}

inline __m256d lo4(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
inline __m256d hi4(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

}  // namespace

double sum(const float* x, int64_t n) {
  __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    a = _mm256_add_pd(a, lo4(v));
    b = _mm256_add_pd(b, hi4(v));
  }
  double tail = 0.0;
  for (; i < n; ++i) tail += x[i];
  return hsum(a, b) + tail;
}

double sum_sq_dev(const float* x, int64_t n, double mean) {
  const __m256d m = _mm256_set1_pd(mean);
  __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256d d0 = _mm256_sub_pd(lo4(v), m), d1 = _mm256_sub_pd(hi4(v), m);
    a = _mm256_fmadd_pd(d0, d0, a);
    b = _mm256_fmadd_pd(d1, d1, b);
  }
  double tail = 0.0;
  for (; i < n; ++i) tail += (x[i] - mean) * (x[i] - mean);
  return hsum(a, b) + tail;
}

void sum_grad(const float* dy, const float* w, const float* x, int64_t n, double mean, double* sum_g,
              double* sum_g_xc) {
  const __m256d m = _mm256_set1_pd(mean);
  __m256d g0 = _mm256_setzero_pd(), g1 = _mm256_setzero_pd();
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 dv = _mm256_loadu_ps(dy + i), xv = _mm256_loadu_ps(x + i);
    __m256d d0 = lo4(dv), d1 = hi4(dv);
    if (w) {
      const __m256 wv = _mm256_loadu_ps(w + i);
      d0 = _mm256_mul_pd(d0, lo4(wv));
      d1 = _mm256_mul_pd(d1, hi4(wv));
    }
    g0 = _mm256_add_pd(g0, d0);
    g1 = _mm256_add_pd(g1, d1);
    s0 = _mm256_fmadd_pd(d0, _mm256_sub_pd(lo4(xv), m), s0);
    s1 = _mm256_fmadd_pd(d1, _mm256_sub_pd(hi4(xv), m), s1);
  }
  double tg = 0.0, ts = 0.0;
  for (; i < n; ++i) {
    const double g = w ? static_cast<double>(dy[i]) * w[i] : dy[i];
    tg += g;
    ts += g * (x[i] - mean);
  }
  *sum_g = hsum(g0, g1) + tg;
  *sum_g_xc = hsum(s0, s1) + ts;
}

}  // namespace graft::cpu::norm_reduce::avx2
