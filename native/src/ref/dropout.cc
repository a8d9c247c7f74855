// Reference dropout: x, y, dy, dx, mask (n). Keeps element i where its stream word * 2^-32 >= p.
#include "graft/random.h"

namespace graft::ref {

void dropout(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed, uint64_t offset) {
  const float scale = p >= 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - p));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t block[4];
    const uint64_t g = offset + static_cast<uint64_t>(i);
    philox_block(seed, g / 4, block);
    const bool keep = p <= 0.0 || (p < 1.0 && philox_unit32(block[g % 4]) >= p);
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx) {
  const float scale = p >= 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - p));
  for (int64_t i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

}  // namespace graft::ref
