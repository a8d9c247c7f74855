// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC11; the Random123 generator).
//
// Stream mapping: a call with (seed, offset) fills element i from stream position g = offset + i.
// Position g reads 32-bit word g % 4 of the Philox block for counter g / 4, encoded as
// (lo32(g/4), hi32(g/4), 0, 0), with key (lo32(seed), hi32(seed)). So one call of length n + m at
// offset o gives the same numbers as a call of length n at o followed by one of length m at o + n,
// and no number depends on the thread count or on how the work is split.
//   uniform:   u = (word >> 8) * 2^-24 in [0, 1), value = low + (high - low) * u (double, then float)
//   normal:    Box-Muller on the word pair (0,1) or (2,3) of the block: positions 4k, 4k+2 take the
//              cosine, 4k+1, 4k+3 the sine; u1 = (w_even + 1) * 2^-32 in (0, 1], u2 = w_odd * 2^-32
//   bernoulli: value = (word * 2^-32 < p) ? 1 : 0;  dropout keeps where word * 2^-32 >= p
//   permutation of n: Fisher-Yates, step k = 0..n-2 swaps slot i = n-1-k with j = floor(r*(i+1)/2^64),
//              r the 64-bit number (word at 2k+1 high, word at 2k low) from positions offset+2k, +2k+1.
#pragma once

#include <cstdint>

namespace graft {

// One Philox4x32-10 block: 10 rounds of the Feistel-like multiply/xor network, key bumped between.
inline void philox4x32_10(const uint32_t counter[4], uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * x0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * x2;
    const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ k0;
    const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ k1;
    x1 = static_cast<uint32_t>(p1);
    x3 = static_cast<uint32_t>(p0);
    x0 = y0;
    x2 = y2;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

// The block for counter `block` (= stream position / 4) under `seed`, as the mapping above says.
inline void philox_block(uint64_t seed, uint64_t block, uint32_t out[4]) {
  const uint32_t counter[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u};
  philox4x32_10(counter, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), out);
}

// Word -> number conversions shared by every backend, so all backends agree bit for bit.
inline double philox_unit24(uint32_t word) { return static_cast<double>(word >> 8) * 0x1p-24; }
inline double philox_unit32(uint32_t word) { return static_cast<double>(word) * 0x1p-32; }

namespace ref {
// Draw every position from its own Philox block, one element at a time.
void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high);
void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std);
void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset);
void random_permutation(int32_t* out, int64_t n, uint64_t seed, uint64_t offset);
// x, y (n), mask (n) bytes 0/1: y = x*mask/(1-p); p == 0 copies (mask 1), p == 1 zeros (mask 0).
void dropout(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed, uint64_t offset);
// dx = dy*mask/(1-p) (zeros when p == 1).
void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx);
}  // namespace ref

namespace cpu {
// One Philox block per 4 positions, threaded over blocks; bit-identical to the references.
void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high);
void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std);
void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset);
void random_permutation(int32_t* out, int64_t n, uint64_t seed, uint64_t offset);
void dropout(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed, uint64_t offset);
void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx);
}  // namespace cpu

}  // namespace graft
