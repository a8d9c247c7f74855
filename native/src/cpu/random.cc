// CPU random fills: out (n); element i from stream position offset + i (mapping in graft/random.h).
// Threaded over positions; words come in bulk from cpu/philox.h (AVX2, eight blocks at a time). Every
// value depends only on (seed, position), so results are bit-identical to the references for any
// thread count and any split.
#include <algorithm>
#include <cmath>
#include <utility>

#include "cpu/philox.h"
#include "graft/random.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kGrain = 8192;

}  // namespace

void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  const double range = high - low;
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for_stream_words(seed, offset, lo, hi, [&](int64_t i, uint32_t w) { out[i] = static_cast<float>(low + range * philox_unit24(w)); });
  });
}

void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    const uint64_t begin = offset + static_cast<uint64_t>(lo), end = offset + static_cast<uint64_t>(hi);
    constexpr int64_t kTile = 64;
    uint32_t words[kTile * 4];
    for (uint64_t first = begin / 4; first * 4 < end; first += kTile) {
      const int64_t blocks = static_cast<int64_t>(std::min<uint64_t>(kTile, (end - 1) / 4 - first + 1));
      philox_words(seed, first, blocks, words);
      // Two Box-Muller pairs per block: positions 4b, 4b+1 from words (0,1); 4b+2, 4b+3 from (2,3).
      for (int64_t pair = 0; pair < 2 * blocks; ++pair) {
        const uint64_t g0 = first * 4 + 2 * static_cast<uint64_t>(pair);
        if (g0 + 1 < begin || g0 >= end) continue;
        const double u1 = (static_cast<double>(words[2 * pair]) + 1.0) * 0x1p-32;
        const double r = std::sqrt(-2.0 * std::log(u1)), theta = 2.0 * M_PI * philox_unit32(words[2 * pair + 1]);
        const double c = std::cos(theta), s = std::sin(theta);  // one sincos call
        if (g0 >= begin) out[g0 - offset] = static_cast<float>(mean + std * r * c);
        if (g0 + 1 < end) out[g0 + 1 - offset] = static_cast<float>(mean + std * r * s);
      }
    }
  });
}

void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for_stream_words(seed, offset, lo, hi, [&](int64_t i, uint32_t w) { out[i] = philox_unit32(w) < p ? 1.0f : 0.0f; });
  });
}

void random_permutation(int32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(i);
  if (n < 2) return;
  // Step k reads positions offset + 2k (low word) and offset + 2k + 1 (high word).
  uint32_t low = 0;
  for_stream_words(seed, offset, 0, 2 * (n - 1), [&](int64_t pos, uint32_t w) {
    if ((pos & 1) == 0) {
      low = w;
      return;
    }
    const int64_t i = n - 1 - pos / 2;
    const unsigned __int128 r = (static_cast<unsigned __int128>(w) << 32) | low;
    const auto j = static_cast<int64_t>((r * static_cast<unsigned __int128>(i + 1)) >> 64);
    std::swap(out[i], out[j]);
  });
}

}  // namespace graft::cpu
