// Reference lerp: a, b, w, out (N) contiguous; out = a + w * (b - a) in double, rounded once.
#include "graft/lerp.h"

namespace graft::ref {

void lerp(const LerpParams& p, const float* a, const float* b, const float* w, float* out) {
  for (int64_t i = 0; i < p.n; ++i) {
    const double av = a[i];
    out[i] = static_cast<float>(av + double(w[i]) * (double(b[i]) - av));
  }
}

}  // namespace graft::ref
