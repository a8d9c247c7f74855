// AVX2+FMA lerp over out[lo, hi): a, b, w, out (N) contiguous; out = fma(w, b - a, a), eight lanes
// at a time, then a scalar tail with the same fused formula. Called by lerp.cc when use_avx2().
#include <immintrin.h>

#include <cmath>
#include <cstdint>

namespace graft::cpu {

void lerp_avx2(int64_t lo, int64_t hi, const float* a, const float* b, const float* w, float* out) {
  int64_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    const __m256 av = _mm256_loadu_ps(a + i);
    const __m256 diff = _mm256_sub_ps(_mm256_loadu_ps(b + i), av);
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(_mm256_loadu_ps(w + i), diff, av));
  }
  for (; i < hi; ++i) out[i] = std::fma(w[i], b[i] - a[i], a[i]);
}

}  // namespace graft::cpu
