// CPU Adam / AdamW step: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (n); float32 in
// torch.optim.Adam's operation order (scalars rounded to float as PyTorch's CPU kernels do).
#include <algorithm>
#include <cmath>

#include "graft/optim.h"
#include "graft/runtime.h"

namespace graft::cpu {

void adam_step(const AdamArgs& a) {
  const double step = static_cast<double>(a.step);
  const double bias1 = 1.0 - std::pow(a.beta1, step), bias2_sqrt = std::sqrt(1.0 - std::pow(a.beta2, step));
  const float decay = static_cast<float>(1.0 - a.lr * a.weight_decay), wd = static_cast<float>(a.weight_decay);
  const float b1 = static_cast<float>(a.beta1), b2 = static_cast<float>(a.beta2);
  const float k1 = static_cast<float>(1.0 - a.beta1), k2 = static_cast<float>(1.0 - a.beta2);
  const float bc2 = static_cast<float>(bias2_sqrt), eps = static_cast<float>(a.eps);
  const float neg_step_size = static_cast<float>(-(a.lr / bias1));
  const bool coupled_wd = !a.decoupled_weight_decay && a.weight_decay != 0.0;
  parallel_for(0, a.n, 16384, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float g = a.maximize ? -a.grad[i] : a.grad[i];
      float p = a.param[i];
      if (a.decoupled_weight_decay) p = p * decay;
      if (coupled_wd) g = g + wd * p;
      const float m = a.exp_avg[i] * b1 + k1 * g;
      const float v = a.exp_avg_sq[i] * b2 + k2 * (g * g);
      a.exp_avg[i] = m;
      a.exp_avg_sq[i] = v;
      float v_used = v;
      if (a.amsgrad) v_used = a.max_exp_avg_sq[i] = std::max(a.max_exp_avg_sq[i], v);
      const float denom = std::sqrt(v_used) / bc2 + eps;
      a.param[i] = p + neg_step_size * (m / denom);
    }
  });
}

}  // namespace graft::cpu
