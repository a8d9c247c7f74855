// Reference Adam / AdamW step: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (n); float64 per element.
#include <algorithm>
#include <cmath>

#include "graft/optim.h"

namespace graft::ref {

void adam_step(const AdamArgs& a) {
  const double step = static_cast<double>(a.step);
  const double bias1 = 1.0 - std::pow(a.beta1, step), bias2 = 1.0 - std::pow(a.beta2, step);
  for (int64_t i = 0; i < a.n; ++i) {
    double g = a.maximize ? -static_cast<double>(a.grad[i]) : static_cast<double>(a.grad[i]);
    double p = a.param[i];
    if (a.decoupled_weight_decay) p *= 1.0 - a.lr * a.weight_decay;
    else if (a.weight_decay != 0.0) g += a.weight_decay * p;
    const double m = a.beta1 * a.exp_avg[i] + (1.0 - a.beta1) * g;
    const double v = a.beta2 * a.exp_avg_sq[i] + (1.0 - a.beta2) * g * g;
    double v_used = v;
    if (a.amsgrad) {
      v_used = std::max(static_cast<double>(a.max_exp_avg_sq[i]), v);
      a.max_exp_avg_sq[i] = static_cast<float>(v_used);
    }
    const double denom = std::sqrt(v_used) / std::sqrt(bias2) + a.eps;
    a.exp_avg[i] = static_cast<float>(m);
    a.exp_avg_sq[i] = static_cast<float>(v);
    a.param[i] = static_cast<float>(p - a.lr / bias1 * m / denom);
  }
}

}  // namespace graft::ref
