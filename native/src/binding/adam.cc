// adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq?, step, lr, beta1, beta2, eps, weightDecay,
//          decoupledWeightDecay, amsgrad, maximize)
#include "binding/kernel_args.h"
#include "graft/optim.h"

namespace graft::binding {
namespace {

template <void (*Kernel)(const AdamArgs&)>
Napi::Value Step(const Napi::CallbackInfo& info) {
  Args args(info, "adamStep");
  args.expect_count(14);
  AdamArgs a;
  Span<float> param = args.floats(0, "param"), grad = args.floats(1, "grad");
  Span<float> m = args.floats(2, "expAvg"), v = args.floats(3, "expAvgSq");
  require_same_length(args, grad, "grad", param, "param");
  require_same_length(args, m, "expAvg", param, "param");
  require_same_length(args, v, "expAvgSq", param, "param");
  a.n = param.size, a.param = param.data, a.grad = grad.data, a.exp_avg = m.data, a.exp_avg_sq = v.data;
  a.step = args.integer(5, "step", 1);
  a.lr = finite(args, 6, "lr");
  a.beta1 = finite(args, 7, "beta1");
  a.beta2 = finite(args, 8, "beta2");
  a.eps = finite(args, 9, "eps");
  a.weight_decay = finite(args, 10, "weightDecay");
  a.decoupled_weight_decay = args.boolean(11, "decoupledWeightDecay");
  a.amsgrad = args.boolean(12, "amsgrad");
  a.maximize = args.boolean(13, "maximize");
  if (a.lr < 0) args.fail("invalid learning rate " + std::to_string(a.lr) + " (argument 'lr' must be >= 0)");
  if (a.eps < 0) args.fail("invalid epsilon " + std::to_string(a.eps) + " (argument 'eps' must be >= 0)");
  if (a.beta1 < 0 || a.beta1 >= 1) args.fail("invalid beta1 " + std::to_string(a.beta1) + " (must be in [0, 1))");
  if (a.beta2 < 0 || a.beta2 >= 1) args.fail("invalid beta2 " + std::to_string(a.beta2) + " (must be in [0, 1))");
  if (a.weight_decay < 0) args.fail("invalid weightDecay " + std::to_string(a.weight_decay) + " (must be >= 0)");
  if (a.amsgrad) {
    if (args.is_undefined(4)) args.fail("argument 'maxExpAvgSq' is required when amsgrad is true");
    Span<float> vmax = args.floats(4, "maxExpAvgSq");
    require_same_length(args, vmax, "maxExpAvgSq", param, "param");
    a.max_exp_avg_sq = vmax.data;
  }
  Kernel(a);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(adam) {
  Export(exports, "adamStep", Step<cpu::adam_step>);
  Export(ref, "adamStep", Step<ref::adam_step>);
}

}  // namespace graft::binding
