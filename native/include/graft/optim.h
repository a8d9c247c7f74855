// Optimizer steps over one flat float32 parameter (n) and its gradient, in place, with the
// semantics of torch.optim.SGD, torch.optim.Adam / AdamW and torch.nn.utils.clip_grad_norm_ (1.13).
#pragma once

#include <cstdint>

namespace graft {

// SGD: d = (maximize ? -g : g) + weight_decay*param; with momentum: buf = d on the first step,
// else buf = momentum*buf + (1-dampening)*d; d = nesterov ? d + momentum*buf : buf; param -= lr*d.
struct SgdArgs {
  int64_t n = 0;
  float* param = nullptr;
  const float* grad = nullptr;
  float* momentum_buffer = nullptr;  // (n), needed when momentum != 0
  double lr = 0.0, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false, maximize = false, first_step = false;
};

// Adam (AdamW with decoupled_weight_decay), step is 1-based:
//   g = maximize ? -grad : grad; AdamW: param *= 1 - lr*wd; Adam: g += wd*param
//   m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g; amsgrad: vmax = max(vmax, v), v' = vmax
//   param -= lr/(1-beta1^step) * m / (sqrt(v')/sqrt(1-beta2^step) + eps)
struct AdamArgs {
  int64_t n = 0;
  float* param = nullptr;
  const float* grad = nullptr;
  float* exp_avg = nullptr;
  float* exp_avg_sq = nullptr;
  float* max_exp_avg_sq = nullptr;  // (n), needed when amsgrad
  int64_t step = 1;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled_weight_decay = false, amsgrad = false, maximize = false;
};

namespace ref {
// Float64 arithmetic per element, rounded to float32 once per stored value.
void sgd_step(const SgdArgs& a);
void adam_step(const AdamArgs& a);
// Sum of x*x in double, in index order.
double sum_of_squares(const float* x, int64_t n);
// Total norm_type-norm of all grads (norm_type > 0 or +inf); scales each grad by
// min(1, max_norm/(total+1e-6)) as torch 1.13 does; returns the total before clipping.
double clip_grad_norm(float* const* grads, const int64_t* sizes, int64_t count, double max_norm, double norm_type);
}  // namespace ref

namespace cpu {
// Float32 arithmetic in PyTorch's operation order, threaded; reductions in fixed-size blocks in order.
void sgd_step(const SgdArgs& a);
void adam_step(const AdamArgs& a);
double sum_of_squares(const float* x, int64_t n);
double clip_grad_norm(float* const* grads, const int64_t* sizes, int64_t count, double max_norm, double norm_type);
}  // namespace cpu

}  // namespace graft
