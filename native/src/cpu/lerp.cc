// CPU lerp: a, b, w, out (N) contiguous; out = a + w * (b - a). Elementwise, so the split of
// parallel_for does not change any result; the AVX2+FMA path is lerp_avx2.cc.
#include "graft/lerp.h"
#include "graft/runtime.h"

namespace graft::cpu {

// lerp_avx2.cc (compiled with -mavx2 -mfma): out[lo, hi) with one FMA per element.
void lerp_avx2(int64_t lo, int64_t hi, const float* a, const float* b, const float* w, float* out);

namespace {
constexpr int64_t kGrain = int64_t(1) << 14;  // elements per task: well above the cost of a task
}  // namespace

void lerp(const LerpParams& p, const float* a, const float* b, const float* w, float* out) {
  const bool avx2 = use_avx2();
  parallel_for(0, p.n, kGrain, [&](int64_t lo, int64_t hi) {
    if (avx2) return lerp_avx2(lo, hi, a, b, w, out);
    for (int64_t i = lo; i < hi; ++i) out[i] = a[i] + w[i] * (b[i] - a[i]);
  });
}

}  // namespace graft::cpu
