// CPU Adam / AdamW step: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (n); float32 in
// torch.optim.Adam's operation order (scalars rounded to float as PyTorch's CPU kernels do).
// AVX2 eight at a time where available (same operations, same results); threaded.
#include <algorithm>
#include <cmath>

#include "cpu/adam_kernel.h"
#include "graft/optim.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

AdamConstants constants(const AdamArgs& a) {
  const double step = static_cast<double>(a.step);
  const double bias1 = 1.0 - std::pow(a.beta1, step);
  AdamConstants k;
  k.decay = static_cast<float>(1.0 - a.lr * a.weight_decay);
  k.wd = static_cast<float>(a.weight_decay);
  k.b1 = static_cast<float>(a.beta1);
  k.b2 = static_cast<float>(a.beta2);
  k.k1 = static_cast<float>(1.0 - a.beta1);
  k.k2 = static_cast<float>(1.0 - a.beta2);
  k.bc2 = static_cast<float>(std::sqrt(1.0 - std::pow(a.beta2, step)));
  k.eps = static_cast<float>(a.eps);
  k.neg_step_size = static_cast<float>(-(a.lr / bias1));
  k.coupled_wd = !a.decoupled_weight_decay && a.weight_decay != 0.0;
  return k;
}

void adam_range_generic(const AdamArgs& a, const AdamConstants& k, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) {
    float g = a.maximize ? -a.grad[i] : a.grad[i];
    float p = a.param[i];
    if (a.decoupled_weight_decay) p = p * k.decay;
    if (k.coupled_wd) g = g + k.wd * p;
    const float m = a.exp_avg[i] * k.b1 + k.k1 * g;
    const float v = a.exp_avg_sq[i] * k.b2 + k.k2 * (g * g);
    a.exp_avg[i] = m;
    a.exp_avg_sq[i] = v;
    float v_used = v;
    if (a.amsgrad) v_used = a.max_exp_avg_sq[i] = std::max(a.max_exp_avg_sq[i], v);
    const float denom = std::sqrt(v_used) / k.bc2 + k.eps;
    a.param[i] = p + k.neg_step_size * (m / denom);
  }
}

}  // namespace

void adam_step(const AdamArgs& a) {
  const AdamConstants k = constants(a);
  const bool vector = use_avx2();
  parallel_for(0, a.n, 16384, [&](int64_t lo, int64_t hi) {
    if (vector) lo = avx2::adam_range(a, k, lo, hi);
    adam_range_generic(a, k, lo, hi);
  });
}

}  // namespace graft::cpu
