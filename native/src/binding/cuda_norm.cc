// cudaBatchNormTrain(x, n, c, hw, gamma?, beta?, runningMean?, runningVar?, momentum, eps, y, saveMean, saveInvStd)
// cudaBatchNormEval(x, n, c, hw, gamma?, beta?, runningMean, runningVar, eps, y)
// cudaBatchNormBackward(x, dy, n, c, hw, gamma?, saveMean, saveInvStd, dx?, dgamma?, dbeta?)
// cudaBatchNormBackwardEval(dy, n, c, hw, gamma?, runningVar, eps, dx?, dgamma?, dbeta?, x?, runningMean?)
// cudaLayerNorm(x, rows, d, gamma?, beta?, eps, y, saveMean, saveInvStd)
// cudaLayerNormBackward(x, dy, rows, d, gamma?, saveMean, saveInvStd, dx?, dgamma?, dbeta?)
// The arguments and checks of batch_norm.cc and layer_norm.cc, over device buffers (all on one device).
#include <string>
#include <vector>

#include "binding/cuda_buffer.h"
#include "binding/kernel_args.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

// Reads the (N,C,HW) sizes, or (rows, D) for layer norm (as n and c, with hw = 1), and collects every
// buffer so they can be checked to share a device.
class NormArgs {
 public:
  NormArgs(const Napi::CallbackInfo& info, const char* op, size_t dims_at, bool rows = false)
      : info_(info), args_(info, op) {
    n = args_.integer(dims_at, rows ? "rows" : "n");
    c = args_.integer(dims_at + 1, rows ? "d" : "c");
    hw = rows ? 1 : args_.integer(dims_at + 2, "hw");
    text = rows ? "x (rows,D) = " + shape_string({n, c}) : "x (N,C,HW) = " + shape_string({n, c, hw});
    size = elements(args_, {n, c, hw}, text);
  }
  const Args& args() const { return args_; }

  float* sized(size_t i, const char* name, int64_t needed) {
    const DeviceFloats b = device_floats(info_, args_, i, name);
    require_device_size(args_, b, name, needed, text);
    seen(name, b);
    return b.data;
  }
  float* optional(size_t i, const char* name, int64_t needed) {
    return args_.is_undefined(i) ? nullptr : sized(i, name, needed);
  }
  double eps(size_t i) const {
    const double value = finite(args_, i, "eps");
    if (value < 0) args_.fail("argument 'eps' must be >= 0, got " + std::to_string(value));
    return value;
  }
  int device() const { return device_; }

  int64_t n, c, hw, size;
  std::string text;

 private:
  void seen(const char* name, const DeviceFloats& b) {
    if (first_name_.empty()) first_name_ = name, device_ = b.device;
    else if (b.device != device_)
      args_.fail("argument '" + std::string(name) + "' is on device " + std::to_string(b.device) + " but '" +
                 first_name_ + "' is on device " + std::to_string(device_));
  }
  const Napi::CallbackInfo& info_;
  Args args_;
  std::string first_name_;
  int device_ = 0;
};

Napi::Value Train(const Napi::CallbackInfo& info) {
  NormArgs d(info, "cudaBatchNormTrain", 1);
  d.args().expect_count(13);
  BatchNormTrainArgs a;
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.x = d.sized(0, "x", d.size);
  a.gamma = d.optional(4, "gamma", d.c);
  a.beta = d.optional(5, "beta", d.c);
  a.running_mean = d.optional(6, "runningMean", d.c);
  a.running_var = d.optional(7, "runningVar", d.c);
  a.momentum = finite(d.args(), 8, "momentum");
  a.eps = d.eps(9);
  a.y = d.sized(10, "y", d.size);
  a.save_mean = d.sized(11, "saveMean", d.c);
  a.save_invstd = d.sized(12, "saveInvStd", d.c);
  if (d.n * d.hw == 1) d.args().fail("expected more than 1 value per channel when training, got " + d.text);
  cuda::batch_norm_train(a, d.device());
  return info.Env().Undefined();
}

Napi::Value Eval(const Napi::CallbackInfo& info) {
  NormArgs d(info, "cudaBatchNormEval", 1);
  d.args().expect_count(10);
  BatchNormEvalArgs a;
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.x = d.sized(0, "x", d.size);
  a.gamma = d.optional(4, "gamma", d.c);
  a.beta = d.optional(5, "beta", d.c);
  a.running_mean = d.sized(6, "runningMean", d.c);
  a.running_var = d.sized(7, "runningVar", d.c);
  a.eps = d.eps(8);
  a.y = d.sized(9, "y", d.size);
  cuda::batch_norm_eval(a, d.device());
  return info.Env().Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  NormArgs d(info, "cudaBatchNormBackward", 2);
  d.args().expect_count(8);
  BatchNormBackwardArgs a;
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.x = d.sized(0, "x", d.size);
  a.dy = d.sized(1, "dy", d.size);
  a.gamma = d.optional(5, "gamma", d.c);
  a.save_mean = d.sized(6, "saveMean", d.c);
  a.save_invstd = d.sized(7, "saveInvStd", d.c);
  a.dx = d.optional(8, "dx", d.size);
  a.dgamma = d.optional(9, "dgamma", d.c);
  a.dbeta = d.optional(10, "dbeta", d.c);
  cuda::batch_norm_backward(a, d.device());
  return info.Env().Undefined();
}

Napi::Value BackwardEval(const Napi::CallbackInfo& info) {
  NormArgs d(info, "cudaBatchNormBackwardEval", 1);
  d.args().expect_count(7);
  BatchNormBackwardEvalArgs a;
  a.n = d.n, a.c = d.c, a.hw = d.hw;
  a.dy = d.sized(0, "dy", d.size);
  a.gamma = d.optional(4, "gamma", d.c);
  a.running_var = d.sized(5, "runningVar", d.c);
  a.eps = d.eps(6);
  a.dx = d.optional(7, "dx", d.size);
  a.dgamma = d.optional(8, "dgamma", d.c);
  a.dbeta = d.optional(9, "dbeta", d.c);
  a.x = d.optional(10, "x", d.size);
  a.running_mean = d.optional(11, "runningMean", d.c);
  if (a.dgamma && (!a.x || !a.running_mean)) d.args().fail("argument 'dgamma' needs 'x' and 'runningMean' (" + d.text + ")");
  cuda::batch_norm_backward_eval(a, d.device());
  return info.Env().Undefined();
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  NormArgs d(info, "cudaLayerNorm", 1, true);
  d.args().expect_count(9);
  LayerNormArgs a;
  a.rows = d.n, a.d = d.c;
  a.x = d.sized(0, "x", d.size);
  a.gamma = d.optional(3, "gamma", d.c);
  a.beta = d.optional(4, "beta", d.c);
  a.eps = d.eps(5);
  a.y = d.sized(6, "y", d.size);
  a.save_mean = d.sized(7, "saveMean", d.n);
  a.save_invstd = d.sized(8, "saveInvStd", d.n);
  cuda::layer_norm(a, d.device());
  return info.Env().Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  NormArgs d(info, "cudaLayerNormBackward", 2, true);
  d.args().expect_count(7);
  LayerNormBackwardArgs a;
  a.rows = d.n, a.d = d.c;
  a.x = d.sized(0, "x", d.size);
  a.dy = d.sized(1, "dy", d.size);
  a.gamma = d.optional(4, "gamma", d.c);
  a.save_mean = d.sized(5, "saveMean", d.n);
  a.save_invstd = d.sized(6, "saveInvStd", d.n);
  a.dx = d.optional(7, "dx", d.size);
  a.dgamma = d.optional(8, "dgamma", d.c);
  a.dbeta = d.optional(9, "dbeta", d.c);
  cuda::layer_norm_backward(a, d.device());
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_norm) {
  Export(exports, "cudaLayerNorm", LayerNorm);
  Export(exports, "cudaLayerNormBackward", LayerNormBackward);
  Export(exports, "cudaBatchNormTrain", Train);
  Export(exports, "cudaBatchNormEval", Eval);
  Export(exports, "cudaBatchNormBackward", Backward);
  Export(exports, "cudaBatchNormBackwardEval", BackwardEval);
}

}  // namespace graft::binding
