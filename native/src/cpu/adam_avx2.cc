// AVX2 Adam / AdamW: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (n), eight floats per step in the
// same operation order as the portable loop in adam.cc. Only called when graft::use_avx2().
// With -mfma the compiler would fuse the _mm256_mul_ps/_mm256_add_ps pairs into FMAs (one rounding
// instead of two), so results would differ from the portable path and from PyTorch: contraction is off.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <immintrin.h>

#include "cpu/adam_kernel.h"

namespace graft::cpu::avx2 {

int64_t adam_range(const AdamArgs& a, const AdamConstants& k, int64_t lo, int64_t hi) {
  const __m256 decay = _mm256_set1_ps(k.decay), wd = _mm256_set1_ps(k.wd);
  const __m256 b1 = _mm256_set1_ps(k.b1), b2 = _mm256_set1_ps(k.b2), k1 = _mm256_set1_ps(k.k1), k2 = _mm256_set1_ps(k.k2);
  const __m256 bc2 = _mm256_set1_ps(k.bc2), eps = _mm256_set1_ps(k.eps), step = _mm256_set1_ps(k.neg_step_size);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int64_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    __m256 g = _mm256_loadu_ps(a.grad + i);
    if (a.maximize) g = _mm256_xor_ps(g, sign);
    __m256 p = _mm256_loadu_ps(a.param + i);
    if (a.decoupled_weight_decay) p = _mm256_mul_ps(p, decay);
    if (k.coupled_wd) g = _mm256_add_ps(g, _mm256_mul_ps(wd, p));
    const __m256 m = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(a.exp_avg + i), b1), _mm256_mul_ps(k1, g));
    const __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(a.exp_avg_sq + i), b2), _mm256_mul_ps(k2, _mm256_mul_ps(g, g)));
    _mm256_storeu_ps(a.exp_avg + i, m);
    _mm256_storeu_ps(a.exp_avg_sq + i, v);
    __m256 v_used = v;
    if (a.amsgrad) {
      v_used = _mm256_max_ps(_mm256_loadu_ps(a.max_exp_avg_sq + i), v);
      _mm256_storeu_ps(a.max_exp_avg_sq + i, v_used);
    }
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(v_used), bc2), eps);
    _mm256_storeu_ps(a.param + i, _mm256_add_ps(p, _mm256_mul_ps(step, _mm256_div_ps(m, denom))));
  }
  return i;
}

}  // namespace graft::cpu::avx2
