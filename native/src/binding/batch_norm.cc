// batchNormTrain(x, n, c, hw, gamma?, beta?, runningMean?, runningVar?, momentum, eps, y, saveMean, saveInvStd)
// batchNormEval(x, n, c, hw, gamma?, beta?, runningMean, runningVar, eps, y)
// batchNormBackward(x, dy, n, c, hw, gamma?, saveMean, saveInvStd, dx?, dgamma?, dbeta?)
// batchNormBackwardEval(dy, n, c, hw, gamma?, runningVar, eps, dx?, dgamma?, dbeta?, x?, runningMean?)
#include "binding/kernel_args.h"
#include "graft/norm.h"

namespace graft::binding {
namespace {

struct Dims {
  int64_t n, c, hw, size;
  std::string text;
};

Dims read_dims(const Args& args, size_t first) {
  Dims d;
  d.n = args.integer(first, "n");
  d.c = args.integer(first + 1, "c");
  d.hw = args.integer(first + 2, "hw");
  d.text = "x (N,C,HW) = " + shape_string({d.n, d.c, d.hw});
  d.size = elements(args, {d.n, d.c, d.hw}, d.text);
  return d;
}

float* sized(const Args& args, size_t i, const char* name, int64_t needed, const Dims& d) {
  Span<float> span = args.floats(i, name);
  args.require_size(span, name, needed, d.text);
  return span.data;
}

double read_eps(const Args& args, size_t i) {
  const double eps = finite(args, i, "eps");
  if (eps < 0) args.fail("argument 'eps' must be >= 0, got " + std::to_string(eps));
  return eps;
}

template <void (*Kernel)(const BatchNormTrainArgs&)>
Napi::Value Train(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormTrain");
  args.expect_count(13);
  BatchNormTrainArgs a;
  const Dims d = read_dims(args, 1);
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.x = sized(args, 0, "x", d.size, d);
  a.gamma = optional_sized(args, 4, "gamma", d.c, d.text);
  a.beta = optional_sized(args, 5, "beta", d.c, d.text);
  a.running_mean = optional_sized(args, 6, "runningMean", d.c, d.text);
  a.running_var = optional_sized(args, 7, "runningVar", d.c, d.text);
  a.momentum = finite(args, 8, "momentum");
  a.eps = read_eps(args, 9);
  a.y = sized(args, 10, "y", d.size, d);
  a.save_mean = sized(args, 11, "saveMean", d.c, d);
  a.save_invstd = sized(args, 12, "saveInvStd", d.c, d);
  if (d.n * d.hw == 1)
    args.fail("expected more than 1 value per channel when training, got " + d.text);
  Kernel(a);
  return info.Env().Undefined();
}

template <void (*Kernel)(const BatchNormEvalArgs&)>
Napi::Value Eval(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormEval");
  args.expect_count(10);
  BatchNormEvalArgs a;
  const Dims d = read_dims(args, 1);
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.x = sized(args, 0, "x", d.size, d);
  a.gamma = optional_sized(args, 4, "gamma", d.c, d.text);
  a.beta = optional_sized(args, 5, "beta", d.c, d.text);
  a.running_mean = sized(args, 6, "runningMean", d.c, d);
  a.running_var = sized(args, 7, "runningVar", d.c, d);
  a.eps = read_eps(args, 8);
  a.y = sized(args, 9, "y", d.size, d);
  Kernel(a);
  return info.Env().Undefined();
}

template <void (*Kernel)(const BatchNormBackwardArgs&)>
Napi::Value Backward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormBackward");
  args.expect_count(8);
  BatchNormBackwardArgs a;
  const Dims d = read_dims(args, 2);
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.x = sized(args, 0, "x", d.size, d);
  a.dy = sized(args, 1, "dy", d.size, d);
  a.gamma = optional_sized(args, 5, "gamma", d.c, d.text);
  a.save_mean = sized(args, 6, "saveMean", d.c, d);
  a.save_invstd = sized(args, 7, "saveInvStd", d.c, d);
  a.dx = optional_sized(args, 8, "dx", d.size, d.text);
  a.dgamma = optional_sized(args, 9, "dgamma", d.c, d.text);
  a.dbeta = optional_sized(args, 10, "dbeta", d.c, d.text);
  Kernel(a);
  return info.Env().Undefined();
}

template <void (*Kernel)(const BatchNormBackwardEvalArgs&)>
Napi::Value BackwardEval(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormBackwardEval");
  args.expect_count(7);
  BatchNormBackwardEvalArgs a;
  const Dims d = read_dims(args, 1);
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.dy = sized(args, 0, "dy", d.size, d);
  a.gamma = optional_sized(args, 4, "gamma", d.c, d.text);
  a.running_var = sized(args, 5, "runningVar", d.c, d);
  a.eps = read_eps(args, 6);
  a.dx = optional_sized(args, 7, "dx", d.size, d.text);
  a.dgamma = optional_sized(args, 8, "dgamma", d.c, d.text);
  a.dbeta = optional_sized(args, 9, "dbeta", d.c, d.text);
  a.x = optional_sized(args, 10, "x", d.size, d.text);
  a.running_mean = optional_sized(args, 11, "runningMean", d.c, d.text);
  if (!args.is_undefined(8) && (args.is_undefined(10) || args.is_undefined(11)))
    args.fail("argument 'dgamma' needs 'x' and 'runningMean' (" + d.text + ")");
  Kernel(a);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(batch_norm) {
  Export(exports, "batchNormTrain", Train<cpu::batch_norm_train>);
  Export(ref, "batchNormTrain", Train<ref::batch_norm_train>);
  Export(exports, "batchNormEval", Eval<cpu::batch_norm_eval>);
  Export(ref, "batchNormEval", Eval<ref::batch_norm_eval>);
  Export(exports, "batchNormBackward", Backward<cpu::batch_norm_backward>);
  Export(ref, "batchNormBackward", Backward<ref::batch_norm_backward>);
  Export(exports, "batchNormBackwardEval", BackwardEval<cpu::batch_norm_backward_eval>);
  Export(ref, "batchNormBackwardEval", BackwardEval<ref::batch_norm_backward_eval>);
}

}  // namespace graft::binding
