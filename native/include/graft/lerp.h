// lerp: out = a + w * (b - a); a, b, w, out are (N) contiguous float32. out may alias a, b or w
// (each element is read before it is written); no other overlap.
// Its gradient (da = dy * (1 - w), db = dy * w, dw = dy * (b - a)) is composed from the binary
// kernels by the core op (packages/core/src/ops/lerp.ts); there is no backward kernel.
#pragma once

#include <cstdint>

namespace graft {

struct LerpParams {
  int64_t n = 0;
};

namespace ref {
// Naive loop in double, rounded once: the reference the fast paths are tested against.
void lerp(const LerpParams& p, const float* a, const float* b, const float* w, float* out);
}  // namespace ref

namespace cpu {
// Threaded; one FMA per element on the AVX2 path.
void lerp(const LerpParams& p, const float* a, const float* b, const float* w, float* out);
}  // namespace cpu

}  // namespace graft
