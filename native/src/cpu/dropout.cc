// CPU dropout: x, y, dy, dx, mask (n); element i keeps where word(offset + i) * 2^-32 >= p.
// Threaded over Philox blocks; bit-identical to the reference for any thread count.
#include <cmath>

#include "graft/random.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kGrain = 8192;

float keep_scale(double p) { return p >= 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - p)); }

}  // namespace

void dropout(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed, uint64_t offset) {
  const float scale = keep_scale(p);
  if (p <= 0.0 || p >= 1.0) {
    const bool keep = p <= 0.0;
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) mask[i] = keep ? 1 : 0, y[i] = keep ? x[i] * scale : 0.0f;
    });
    return;
  }
  // Keep when word >= ceil(p * 2^32), the integer form of word * 2^-32 >= p.
  const double threshold = std::ceil(p * 0x1p32);
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    uint32_t block[4];
    uint64_t loaded = ~uint64_t{0};
    for (int64_t i = lo; i < hi; ++i) {
      const uint64_t g = offset + static_cast<uint64_t>(i);
      if (g / 4 != loaded) loaded = g / 4, philox_block(seed, loaded, block);
      const bool keep = static_cast<double>(block[g % 4]) >= threshold;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? x[i] * scale : 0.0f;
    }
  });
}

void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx) {
  const float scale = keep_scale(p);
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
  });
}

}  // namespace graft::cpu
