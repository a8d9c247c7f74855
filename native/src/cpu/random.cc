// CPU random fills: out (n); element i from stream position offset + i (mapping in graft/random.h).
// Threaded over Philox blocks (4 positions each); every position's value depends only on (seed, position),
// so results are bit-identical to the references for any thread count.
#include <cmath>
#include <utility>

#include "graft/random.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kGrain = 4096;

// Calls emit(i, word) for i in [lo, hi), generating each Philox block once.
template <typename Emit>
void for_words(uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, Emit emit) {
  uint32_t block[4];
  uint64_t loaded = ~uint64_t{0};
  for (int64_t i = lo; i < hi; ++i) {
    const uint64_t g = offset + static_cast<uint64_t>(i);
    if (g / 4 != loaded) {
      loaded = g / 4;
      philox_block(seed, loaded, block);
    }
    emit(i, block[g % 4]);
  }
}

}  // namespace

void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  const double range = high - low;
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for_words(seed, offset, lo, hi, [&](int64_t i, uint32_t w) { out[i] = static_cast<float>(low + range * philox_unit24(w)); });
  });
}

void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    const uint64_t begin = offset + static_cast<uint64_t>(lo), end = offset + static_cast<uint64_t>(hi);
    uint32_t block[4];
    for (uint64_t b = begin / 4; b * 4 < end; ++b) {
      philox_block(seed, b, block);
      // Two Box-Muller pairs per block: positions 4b, 4b+1 from words (0,1); 4b+2, 4b+3 from (2,3).
      for (int pair = 0; pair < 2; ++pair) {
        const uint64_t g0 = 4 * b + 2 * pair;
        if (g0 + 1 < begin || g0 >= end) continue;
        const double u1 = (static_cast<double>(block[2 * pair]) + 1.0) * 0x1p-32;
        const double r = std::sqrt(-2.0 * std::log(u1)), theta = 2.0 * M_PI * philox_unit32(block[2 * pair + 1]);
        if (g0 >= begin) out[g0 - offset] = static_cast<float>(mean + std * r * std::cos(theta));
        if (g0 + 1 >= begin && g0 + 1 < end) out[g0 + 1 - offset] = static_cast<float>(mean + std * r * std::sin(theta));
      }
    }
  });
}

void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for_words(seed, offset, lo, hi, [&](int64_t i, uint32_t w) { out[i] = philox_unit32(w) < p ? 1.0f : 0.0f; });
  });
}

void random_permutation(int32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(i);
  if (n < 2) return;
  uint32_t block[4];
  uint64_t loaded = ~uint64_t{0};
  auto word = [&](uint64_t g) {
    if (g / 4 != loaded) {
      loaded = g / 4;
      philox_block(seed, loaded, block);
    }
    return block[g % 4];
  };
  for (int64_t k = 0; k + 1 < n; ++k) {
    const int64_t i = n - 1 - k;
    const uint64_t lo = word(offset + 2 * k);
    const uint64_t hi = word(offset + 2 * k + 1);
    const unsigned __int128 r = (static_cast<unsigned __int128>(hi) << 32) | lo;
    const auto j = static_cast<int64_t>((r * static_cast<unsigned __int128>(i + 1)) >> 64);
    std::swap(out[i], out[j]);
  }
}

}  // namespace graft::cpu
