// cudaCrossEntropy(logits, n, c, targets?, softTargets?, weights?, labelSmoothing, ignoreIndex, reduction, losses,
//                  dlogits?): loss.cc's arguments over device buffers; `targets` holds int32 class indices.
// cudaBceWithLogits(logits, targets, n, c, posWeight?, reduction, losses, dlogits?).
// Hard targets stay on the device, so their values are not checked here (see graft/cuda_ops.h).
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

Reduction read_reduction(const Args& args, size_t i) {
  const std::string name = args.string(i, "reduction");
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  if (name == "none") return Reduction::None;
  args.fail("argument 'reduction' is '" + name + "', which is not one of mean, sum, none");
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  Args args(info, "cudaCrossEntropy");
  args.expect_count(10);
  CrossEntropyArgs a;
  const DeviceFloats logits = device_floats(info, args, 0, "logits");
  a.n = args.integer(1, "n");
  a.c = args.integer(2, "c", 1);
  const std::string dims = "n=" + std::to_string(a.n) + ", c=" + std::to_string(a.c);
  if (double(a.n) * double(a.c) > 9.0e15) args.fail("too many elements (" + dims + ")");
  require_device_size(args, logits, "logits", a.n * a.c, dims);
  if (args.is_undefined(3) == args.is_undefined(4)) args.fail("pass exactly one of 'targets' and 'softTargets'");
  a.label_smoothing = static_cast<float>(args.number(6, "labelSmoothing"));
  if (!(a.label_smoothing >= 0.0f && a.label_smoothing <= 1.0f))
    args.fail("argument 'labelSmoothing' must lie in [0, 1], got " + std::to_string(a.label_smoothing));
  a.ignore_index = args.integer(7, "ignoreIndex", INT32_MIN);
  a.reduction = read_reduction(args, 8);
  const DeviceFloats losses = device_floats(info, args, 9, "losses");
  require_device_size(args, losses, "losses", a.reduction == Reduction::None ? a.n : 1,
                      dims + ", reduction " + args.string(8, "reduction"));
  require_same_device(args, {{"logits", logits}, {"losses", losses}});
  a.logits = logits.data;
  a.losses = losses.data;
  if (!args.is_undefined(5)) {
    const DeviceFloats weights = device_floats(info, args, 5, "weights");
    require_device_size(args, weights, "weights", a.c, dims);
    require_same_device(args, {{"logits", logits}, {"weights", weights}});
    a.weights = weights.data;
  }
  if (!args.is_undefined(10)) {
    const DeviceFloats dlogits = device_floats(info, args, 10, "dlogits");
    require_device_size(args, dlogits, "dlogits", a.n * a.c, dims);
    require_same_device(args, {{"logits", logits}, {"dlogits", dlogits}});
    a.dlogits = dlogits.data;
  }
  if (!args.is_undefined(4)) {
    const DeviceFloats soft = device_floats(info, args, 4, "softTargets");
    require_device_size(args, soft, "softTargets", a.n * a.c, dims);
    require_same_device(args, {{"logits", logits}, {"softTargets", soft}});
    a.soft_targets = soft.data;
  } else {
    const DeviceFloats targets = device_floats(info, args, 3, "targets");
    require_device_size(args, targets, "targets", a.n, dims + " (int32 class indices)");
    require_same_device(args, {{"logits", logits}, {"targets", targets}});
    a.targets = reinterpret_cast<const int32_t*>(targets.data);
  }
  const int64_t logit_bytes = a.n * a.c * 4;
  require_outputs_apart(args,
                        {{a.losses, (a.reduction == Reduction::None ? a.n : 1) * 4, "losses"},
                         {a.dlogits, a.dlogits ? logit_bytes : 0, "dlogits"}},
                        {{a.logits, logit_bytes, "logits"}, {a.targets, a.targets ? a.n * 4 : 0, "targets"},
                         {a.soft_targets, a.soft_targets ? logit_bytes : 0, "softTargets"},
                         {a.weights, a.weights ? a.c * 4 : 0, "weights"}});
  cuda::cross_entropy(a, logits.device);
  return info.Env().Undefined();
}

// cudaBceWithLogits(logits, targets, n, c, posWeight?, reduction, losses, dlogits?).
Napi::Value BceWithLogits(const Napi::CallbackInfo& info) {
  Args args(info, "cudaBceWithLogits");
  args.expect_count(7);
  BceWithLogitsArgs a;
  const DeviceFloats logits = device_floats(info, args, 0, "logits"), targets = device_floats(info, args, 1, "targets");
  a.n = args.integer(2, "n");
  a.c = args.integer(3, "c", 1);
  const std::string dims = "n=" + std::to_string(a.n) + ", c=" + std::to_string(a.c);
  if (double(a.n) * double(a.c) > 9.0e15) args.fail("too many elements (" + dims + ")");
  require_device_size(args, logits, "logits", a.n * a.c, dims);
  require_device_size(args, targets, "targets", a.n * a.c, dims);
  a.reduction = read_reduction(args, 5);
  const DeviceFloats losses = device_floats(info, args, 6, "losses");
  require_device_size(args, losses, "losses", a.reduction == Reduction::None ? a.n * a.c : 1, dims);
  require_same_device(args, {{"logits", logits}, {"targets", targets}, {"losses", losses}});
  a.logits = logits.data;
  a.targets = targets.data;
  a.losses = losses.data;
  if (!args.is_undefined(4)) {
    const DeviceFloats pw = device_floats(info, args, 4, "posWeight");
    require_device_size(args, pw, "posWeight", a.c, dims);
    require_same_device(args, {{"logits", logits}, {"posWeight", pw}});
    a.pos_weight = pw.data;
  }
  if (!args.is_undefined(7)) {
    const DeviceFloats dlogits = device_floats(info, args, 7, "dlogits");
    require_device_size(args, dlogits, "dlogits", a.n * a.c, dims);
    require_same_device(args, {{"logits", logits}, {"dlogits", dlogits}});
    a.dlogits = dlogits.data;
  }
  const int64_t count = a.n * a.c;
  require_outputs_apart(args,
                        {{a.losses, (a.reduction == Reduction::None ? count : 1) * 4, "losses"},
                         {a.dlogits, a.dlogits ? count * 4 : 0, "dlogits"}},
                        {{a.logits, count * 4, "logits"}, {a.targets, count * 4, "targets"},
                         {a.pos_weight, a.pos_weight ? a.c * 4 : 0, "posWeight"}});
  cuda::bce_with_logits(a, logits.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_loss) {
  Export(exports, "cudaCrossEntropy", CrossEntropy);
  Export(exports, "cudaBceWithLogits", BceWithLogits);
}

}  // namespace graft::binding
