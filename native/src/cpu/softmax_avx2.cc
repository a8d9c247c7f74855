// AVX2+FMA softmax / log-softmax over one contiguous row x (D) -> y (D), and its backward.
// Max in eight lanes, exp by the Cephes polynomial (vec_math_avx2.h), sums in double lanes
// (fixed order), so a row's result depends only on its values.
#include "cpu/softmax_avx2.h"

#include <cmath>

#include "cpu/vec_math_avx2.h"

namespace graft::cpu::avx2 {
namespace {

inline __m256i tail_mask(int64_t left) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline void add_double(__m256d& lo, __m256d& hi, __m256 v) {
  lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline double hsum_double(__m256d lo, __m256d hi) {
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(lo, hi));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

float row_max(const float* x, int64_t d) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  int64_t k = 0;
  for (; k + 8 <= d; k += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + k));
  float max = hmax256(m);
  for (; k < d; ++k) max = std::fmax(max, x[k]);
  return max;
}

// sum(exp(x - max)) in double lanes; writes exp(x - max) to y unless y is null.
double exp_sum(const float* x, int64_t d, float max, float* y) {
  const __m256 vmax = _mm256_set1_ps(max);
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  int64_t k = 0;
  for (; k + 8 <= d; k += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + k), vmax));
    if (y) _mm256_storeu_ps(y + k, e);
    add_double(sum_lo, sum_hi, e);
  }
  if (k < d) {
    const __m256i mask = tail_mask(d - k);
    const __m256 e = _mm256_and_ps(_mm256_castsi256_ps(mask), exp256(_mm256_sub_ps(_mm256_maskload_ps(x + k, mask), vmax)));
    if (y) _mm256_maskstore_ps(y + k, mask, e);
    add_double(sum_lo, sum_hi, e);
  }
  return hsum_double(sum_lo, sum_hi);
}

float finite_max(const float* x, int64_t d) {
  const float max = row_max(x, d);
  return std::isinf(max) ? 0.0f : max;  // as the reference
}

}  // namespace

double log_sum_exp_row(const float* x, int64_t d) {
  const float max = finite_max(x, d);
  return double(max) + std::log(exp_sum(x, d, max, nullptr));
}

double softmax_row(const float* x, int64_t d, float* y, bool log) {
  const float max = finite_max(x, d);
  const double sum = exp_sum(x, d, max, log ? nullptr : y);
  if (log) {
    const __m256 shift = _mm256_set1_ps(max + static_cast<float>(std::log(sum)));
    map256(x, y, d, [&](__m256 v) { return _mm256_sub_ps(v, shift); });
  } else {
    const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
    map256(y, y, d, [&](__m256 v) { return _mm256_mul_ps(v, inv); });
  }
  return double(max) + std::log(sum);
}

void softmax_columns(const float* x, int64_t d, int64_t stride, int64_t n, float* y, bool log) {
  for (int64_t c = 0; c < n; c += 8) {
    const __m256i mask = tail_mask(n - c);
    const float* in = x + c;
    float* out = y + c;
    __m256 max = _mm256_set1_ps(-INFINITY);
    for (int64_t k = 0; k < d; ++k) max = _mm256_max_ps(max, _mm256_maskload_ps(in + k * stride, mask));
    // lanes whose max is infinite use 0, as the reference (inf - inf would give NaN everywhere)
    const __m256 infinite = _mm256_cmp_ps(abs256(max), _mm256_set1_ps(INFINITY), _CMP_EQ_OQ);
    max = _mm256_andnot_ps(infinite, max);
    __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
    for (int64_t k = 0; k < d; ++k) {
      const __m256 e = exp256(_mm256_sub_ps(_mm256_maskload_ps(in + k * stride, mask), max));
      add_double(sum_lo, sum_hi, e);
    }
    alignas(32) double sums[8];
    _mm256_store_pd(sums, sum_lo);
    _mm256_store_pd(sums + 4, sum_hi);
    alignas(32) float scale[8];
    for (int l = 0; l < 8; ++l) scale[l] = static_cast<float>(log ? std::log(sums[l]) : 1.0 / sums[l]);
    const __m256 vscale = _mm256_load_ps(scale);
    for (int64_t k = 0; k < d; ++k) {
      const __m256 shifted = _mm256_sub_ps(_mm256_maskload_ps(in + k * stride, mask), max);
      const __m256 v = log ? _mm256_sub_ps(shifted, vscale) : _mm256_mul_ps(exp256(shifted), vscale);
      _mm256_maskstore_ps(out + k * stride, mask, v);
    }
  }
}

void softmax_backward_row(const float* y, const float* dy, int64_t d, float* dx, bool log) {
  __m256d dot_lo = _mm256_setzero_pd(), dot_hi = _mm256_setzero_pd();
  int64_t k = 0;
  for (; k + 8 <= d; k += 8) {
    const __m256 g = _mm256_loadu_ps(dy + k);
    add_double(dot_lo, dot_hi, log ? g : _mm256_mul_ps(g, _mm256_loadu_ps(y + k)));
  }
  double dot = hsum_double(dot_lo, dot_hi);
  for (; k < d; ++k) dot += log ? double(dy[k]) : double(dy[k]) * double(y[k]);
  const __m256 s = _mm256_set1_ps(static_cast<float>(dot));
  k = 0;
  for (; k + 8 <= d; k += 8) {
    const __m256 yv = _mm256_loadu_ps(y + k), g = _mm256_loadu_ps(dy + k);
    const __m256 out = log ? _mm256_fnmadd_ps(exp256(yv), s, g) : _mm256_mul_ps(yv, _mm256_sub_ps(g, s));
    _mm256_storeu_ps(dx + k, out);
  }
  const float sf = static_cast<float>(dot);
  for (; k < d; ++k) dx[k] = log ? dy[k] - std::exp(y[k]) * sf : y[k] * (dy[k] - sf);
}

}  // namespace graft::cpu::avx2
