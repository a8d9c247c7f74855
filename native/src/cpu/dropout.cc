// CPU dropout: x, y, dy, dx, mask (n); element i keeps where word(offset + i) * 2^-32 >= p.
// Threaded; words in bulk from cpu/philox.h; bit-identical to the reference for any thread count.
#include <cmath>

#include "cpu/philox.h"
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
    for_stream_words(seed, offset, lo, hi, [&](int64_t i, uint32_t w) {
      const bool keep = static_cast<double>(w) >= threshold;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? x[i] * scale : 0.0f;
    });
  });
}

void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx) {
  const float scale = keep_scale(p);
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
  });
}

}  // namespace graft::cpu
