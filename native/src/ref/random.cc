// Reference random fills: out (n); element i from stream position offset + i (see graft/random.h).
// Each element computes its own Philox block: slow and obviously right.
#include <cmath>
#include <utility>

#include "graft/random.h"

namespace graft::ref {
namespace {

uint32_t word_at(uint64_t seed, uint64_t position) {
  uint32_t block[4];
  philox_block(seed, position / 4, block);
  return block[position % 4];
}

}  // namespace

void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(low + (high - low) * philox_unit24(word_at(seed, offset + i)));
}

void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t g = offset + static_cast<uint64_t>(i);
    const uint64_t even = g & ~uint64_t{1};  // the pair (even, even + 1) shares one Box-Muller draw
    const double u1 = (static_cast<double>(word_at(seed, even)) + 1.0) * 0x1p-32;
    const double u2 = philox_unit32(word_at(seed, even + 1));
    const double r = std::sqrt(-2.0 * std::log(u1)), theta = 2.0 * M_PI * u2;
    out[i] = static_cast<float>(mean + std * r * ((g & 1) ? std::sin(theta) : std::cos(theta)));
  }
}

void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = philox_unit32(word_at(seed, offset + i)) < p ? 1.0f : 0.0f;
}

void random_permutation(int32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(i);
  for (int64_t k = 0; k + 1 < n; ++k) {
    const int64_t i = n - 1 - k;
    const uint64_t lo = word_at(seed, offset + 2 * k), hi = word_at(seed, offset + 2 * k + 1);
    const unsigned __int128 r = (static_cast<unsigned __int128>(hi) << 32) | lo;
    const auto j = static_cast<int64_t>((r * static_cast<unsigned __int128>(i + 1)) >> 64);
    std::swap(out[i], out[j]);
  }
}

}  // namespace graft::ref
