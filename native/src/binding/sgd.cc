// sgdStep(param, grad, momentumBuffer?, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep)
#include "binding/kernel_args.h"
#include "graft/optim.h"

namespace graft::binding {
namespace {

template <void (*Kernel)(const SgdArgs&)>
Napi::Value Step(const Napi::CallbackInfo& info) {
  Args args(info, "sgdStep");
  args.expect_count(10);
  SgdArgs a;
  Span<float> param = args.floats(0, "param"), grad = args.floats(1, "grad");
  require_same_length(args, grad, "grad", param, "param");
  a.n = param.size, a.param = param.data, a.grad = grad.data;
  a.lr = finite(args, 3, "lr");
  a.momentum = finite(args, 4, "momentum");
  a.dampening = finite(args, 5, "dampening");
  a.weight_decay = finite(args, 6, "weightDecay");
  a.nesterov = args.boolean(7, "nesterov");
  a.maximize = args.boolean(8, "maximize");
  a.first_step = args.boolean(9, "firstStep");
  if (a.lr < 0) args.fail("invalid learning rate " + std::to_string(a.lr) + " (argument 'lr' must be >= 0)");
  if (a.momentum < 0) args.fail("invalid momentum " + std::to_string(a.momentum) + " (must be >= 0)");
  if (a.weight_decay < 0) args.fail("invalid weightDecay " + std::to_string(a.weight_decay) + " (must be >= 0)");
  if (a.nesterov && (a.momentum <= 0 || a.dampening != 0))
    args.fail("nesterov momentum requires a momentum > 0 and zero dampening");
  if (a.momentum != 0) {
    if (args.is_undefined(2)) args.fail("argument 'momentumBuffer' is required when momentum != 0");
    Span<float> buf = args.floats(2, "momentumBuffer");
    require_same_length(args, buf, "momentumBuffer", param, "param");
    a.momentum_buffer = buf.data;
  }
  Kernel(a);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(sgd) {
  Export(exports, "sgdStep", Step<cpu::sgd_step>);
  Export(ref, "sgdStep", Step<ref::sgd_step>);
}

}  // namespace graft::binding
