// Philox4x32-10 on eight blocks at once: lane k of x0..x3 holds block first_block + k.
// 32x32 -> 64-bit products come from _mm256_mul_epu32 on the even lanes and on the odd lanes shifted
// down; hi/lo halves are blended back into 8-lane vectors. Only called when graft::use_avx2().
#include <immintrin.h>

#include "cpu/philox.h"

namespace graft::cpu::avx2 {
namespace {

// hi and lo 32-bit halves of m * x for each 32-bit lane of x.
inline void mul_hi_lo(__m256i x, __m256i m, __m256i* hi, __m256i* lo) {
  const __m256i even = _mm256_mul_epu32(x, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
  *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

}  // namespace

void philox_blocks8(uint64_t seed, uint64_t first_block, uint32_t* words) {
  alignas(32) uint32_t lo32[8], hi32[8];
  for (int k = 0; k < 8; ++k) {
    lo32[k] = static_cast<uint32_t>(first_block + k);
    hi32[k] = static_cast<uint32_t>((first_block + k) >> 32);
  }
  __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo32));
  __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi32));
  __m256i x2 = _mm256_setzero_si256(), x3 = _mm256_setzero_si256();
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
    __m256i hi0, lo0, hi1, lo1;
    mul_hi_lo(x0, m0, &hi0, &lo0);
    mul_hi_lo(x2, m1, &hi1, &lo1);
    const __m256i y0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i y2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
    x1 = lo1;
    x3 = lo0;
    x0 = y0;
    x2 = y2;
  }
  // Transpose (word, block) -> (block, word): unpack pairs, then 128-bit halves.
  const __m256i a = _mm256_unpacklo_epi32(x0, x1), b = _mm256_unpackhi_epi32(x0, x1);
  const __m256i c = _mm256_unpacklo_epi32(x2, x3), d = _mm256_unpackhi_epi32(x2, x3);
  const __m256i r0 = _mm256_unpacklo_epi64(a, c), r1 = _mm256_unpackhi_epi64(a, c);
  const __m256i r2 = _mm256_unpacklo_epi64(b, d), r3 = _mm256_unpackhi_epi64(b, d);
  // r0 = blocks 0 and 4, r1 = 1 and 5, r2 = 2 and 6, r3 = 3 and 7 (low and high 128-bit halves).
  auto* out = reinterpret_cast<__m256i*>(words);
  _mm256_storeu_si256(out + 0, _mm256_permute2x128_si256(r0, r1, 0x20));
  _mm256_storeu_si256(out + 1, _mm256_permute2x128_si256(r2, r3, 0x20));
  _mm256_storeu_si256(out + 2, _mm256_permute2x128_si256(r0, r1, 0x31));
  _mm256_storeu_si256(out + 3, _mm256_permute2x128_si256(r2, r3, 0x31));
}

}  // namespace graft::cpu::avx2
