// cudaSgdStep(param, grad, momentumBuffer?, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep)
// cudaAdamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq?, step, lr, beta1, beta2, eps, weightDecay,
//              decoupledWeightDecay, amsgrad, maximize)
// cudaClipGradNorm(grads: buffer[], maxNorm, normType) -> number
// The arguments and checks of sgd.cc, adam.cc and clip.cc, over device buffers of equal float counts.
#include <cmath>
#include <vector>

#include "binding/cuda_buffer.h"
#include "binding/kernel_args.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

void require_same_count(const Args& args, const DeviceFloats& buffer, const char* name, const DeviceFloats& param) {
  if (buffer.size != param.size)
    args.fail("argument '" + std::string(name) + "' holds " + std::to_string(buffer.size) + " floats but 'param' holds " +
              std::to_string(param.size));
}

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Args args(info, "cudaSgdStep");
  args.expect_count(10);
  SgdArgs a;
  const DeviceFloats param = device_floats(info, args, 0, "param"), grad = device_floats(info, args, 1, "grad");
  require_same_count(args, grad, "grad", param);
  require_same_device(args, {{"param", param}, {"grad", grad}});
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
    const DeviceFloats buf = device_floats(info, args, 2, "momentumBuffer");
    require_same_count(args, buf, "momentumBuffer", param);
    require_same_device(args, {{"param", param}, {"momentumBuffer", buf}});
    a.momentum_buffer = buf.data;
  }
  cuda::sgd_step(a, param.device);
  return info.Env().Undefined();
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Args args(info, "cudaAdamStep");
  args.expect_count(14);
  AdamArgs a;
  const DeviceFloats param = device_floats(info, args, 0, "param"), grad = device_floats(info, args, 1, "grad");
  const DeviceFloats m = device_floats(info, args, 2, "expAvg"), v = device_floats(info, args, 3, "expAvgSq");
  require_same_count(args, grad, "grad", param);
  require_same_count(args, m, "expAvg", param);
  require_same_count(args, v, "expAvgSq", param);
  require_same_device(args, {{"param", param}, {"grad", grad}, {"expAvg", m}, {"expAvgSq", v}});
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
    const DeviceFloats vmax = device_floats(info, args, 4, "maxExpAvgSq");
    require_same_count(args, vmax, "maxExpAvgSq", param);
    require_same_device(args, {{"param", param}, {"maxExpAvgSq", vmax}});
    a.max_exp_avg_sq = vmax.data;
  }
  cuda::adam_step(a, param.device);
  return info.Env().Undefined();
}

Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  Args args(info, "cudaClipGradNorm");
  args.expect_count(3);
  if (!info[0].IsArray()) args.fail_type("argument 'grads' must be an array of CUDA device buffers");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<float*> grads(list.Length());
  std::vector<int64_t> sizes(list.Length());
  int device = 0;
  for (uint32_t k = 0; k < list.Length(); ++k) {
    const std::string name = "grads[" + std::to_string(k) + "]";
    const DeviceFloats g = device_floats(list.Get(k), args, name.c_str());
    if (k > 0 && g.device != device)
      args.fail("argument '" + name + "' is on device " + std::to_string(g.device) + " but 'grads[0]' is on device " +
                std::to_string(device));
    device = g.device;
    grads[k] = g.data;
    sizes[k] = g.size;
  }
  const double max_norm = args.number(1, "maxNorm"), norm_type = args.number(2, "normType");
  if (std::isnan(max_norm)) args.fail("argument 'maxNorm' must be a number, got NaN");
  if (!(norm_type > 0)) args.fail("argument 'normType' must be > 0 or Infinity, got " + std::to_string(norm_type));
  const double total =
      cuda::clip_grad_norm(grads.data(), sizes.data(), static_cast<int64_t>(grads.size()), max_norm, norm_type, device);
  return Napi::Number::New(info.Env(), total);
}

}  // namespace

GRAFT_BINDING(cuda_optim) {
  Export(exports, "cudaSgdStep", SgdStep);
  Export(exports, "cudaAdamStep", AdamStep);
  Export(exports, "cudaClipGradNorm", ClipGradNorm);
}

}  // namespace graft::binding
