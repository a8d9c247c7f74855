// Batch norm over x (N,C,HW) and layer norm over x (rows,D), float32 tensors with double statistics.
//   Batch norm: statistics per channel c over the N*HW values x[n,c,:]; gamma, beta, running stats (C).
//   Layer norm: statistics per row over its D values; gamma, beta (D).
// Optional pointers (gamma, beta, running stats, backward outputs) are nullptr when absent:
// gamma absent means 1, beta absent means 0, an absent output is not computed.
// Sums are deterministic: fixed-order partials combined in a fixed order, whatever the thread count.
#pragma once

#include <cstdint>

namespace graft {

// Training forward: biased variance normalises; running stats (when given) are updated as PyTorch
// does: running = (1-momentum)*running + momentum*stat, with the unbiased variance for running_var.
// Needs N*HW > 1 per channel (checked by the binding). With N*HW == 0, y is empty, save_mean = 0,
// save_invstd = 1/sqrt(eps) and the running stats are left alone.
struct BatchNormTrainArgs {
  int64_t n = 0, c = 0, hw = 0;
  double momentum = 0.1, eps = 1e-5;
  const float* x = nullptr;
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float* running_mean = nullptr;
  float* running_var = nullptr;
  float* y = nullptr;
  float* save_mean = nullptr;    // (C) batch mean
  float* save_invstd = nullptr;  // (C) 1/sqrt(biased var + eps)
};

// Inference forward with the running statistics.
struct BatchNormEvalArgs {
  int64_t n = 0, c = 0, hw = 0;
  double eps = 1e-5;
  const float* x = nullptr;
  const float* gamma = nullptr;
  const float* beta = nullptr;
  const float* running_mean = nullptr;
  const float* running_var = nullptr;
  float* y = nullptr;
};

// Training backward (the batch statistics depend on x):
//   xhat = (x-mean)*invstd, dbeta = sum dy, dgamma = sum dy*xhat,
//   dx = gamma*invstd/M * (M*dy - dbeta - xhat*dgamma), M = N*HW.
struct BatchNormBackwardArgs {
  int64_t n = 0, c = 0, hw = 0;
  const float* x = nullptr;
  const float* dy = nullptr;
  const float* gamma = nullptr;
  const float* save_mean = nullptr;
  const float* save_invstd = nullptr;
  float* dx = nullptr;
  float* dgamma = nullptr;
  float* dbeta = nullptr;
};

// Frozen-statistics backward (eval mode): dx = dy*gamma/sqrt(running_var+eps), dbeta = sum dy,
// dgamma = sum dy*(x-running_mean)/sqrt(running_var+eps) (needs x and running_mean).
struct BatchNormBackwardEvalArgs {
  int64_t n = 0, c = 0, hw = 0;
  double eps = 1e-5;
  const float* dy = nullptr;
  const float* gamma = nullptr;
  const float* running_var = nullptr;
  const float* x = nullptr;
  const float* running_mean = nullptr;
  float* dx = nullptr;
  float* dgamma = nullptr;
  float* dbeta = nullptr;
};

// Layer norm forward over the last D values of each row (biased variance). D == 0 gives mean 0 and
// invstd 1/sqrt(eps).
struct LayerNormArgs {
  int64_t rows = 0, d = 0;
  double eps = 1e-5;
  const float* x = nullptr;
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float* y = nullptr;
  float* save_mean = nullptr;    // (rows)
  float* save_invstd = nullptr;  // (rows)
};

// Layer norm backward: g = dy*gamma, dx = invstd/D * (D*g - sum g - xhat*sum(g*xhat)),
// dgamma[j] = sum over rows of dy*xhat, dbeta[j] = sum over rows of dy.
struct LayerNormBackwardArgs {
  int64_t rows = 0, d = 0;
  const float* x = nullptr;
  const float* dy = nullptr;
  const float* gamma = nullptr;
  const float* save_mean = nullptr;
  const float* save_invstd = nullptr;
  float* dx = nullptr;
  float* dgamma = nullptr;
  float* dbeta = nullptr;
};

namespace ref {
// Naive loops accumulating in double: the references every fast path is tested against.
void batch_norm_train(const BatchNormTrainArgs& a);
void batch_norm_eval(const BatchNormEvalArgs& a);
void batch_norm_backward(const BatchNormBackwardArgs& a);
void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a);
void layer_norm(const LayerNormArgs& a);
void layer_norm_backward(const LayerNormBackwardArgs& a);
}  // namespace ref

namespace cpu {
// Threaded over (n, c) planes or rows; per-plane partials in double, combined in order.
void batch_norm_train(const BatchNormTrainArgs& a);
void batch_norm_eval(const BatchNormEvalArgs& a);
void batch_norm_backward(const BatchNormBackwardArgs& a);
void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a);
void layer_norm(const LayerNormArgs& a);
void layer_norm_backward(const LayerNormBackwardArgs& a);
}  // namespace cpu

}  // namespace graft
