// crossEntropy(logits, n, c, targets?, softTargets?, weights?, labelSmoothing, ignoreIndex, reduction, losses, dlogits?)
// bceWithLogits(logits, targets, n, c, posWeight?, reduction, losses, dlogits?)
// Optional arguments are null/undefined when absent. Hard targets are checked before anything is written.
#include <string>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/loss.h"

namespace graft::binding {
namespace {

Reduction read_reduction(const Args& args, size_t i) {
  const std::string name = args.string(i, "reduction");
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  if (name == "none") return Reduction::None;
  args.fail("argument 'reduction' is '" + name + "', which is not one of mean, sum, none");
}

template <void (*Kernel)(const CrossEntropyArgs&)>
Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  Args args(info, "crossEntropy");
  args.expect_count(10);
  CrossEntropyArgs a;
  Span<float> logits = args.floats(0, "logits");
  a.n = args.integer(1, "n");
  a.c = args.integer(2, "c", 1);
  const std::string dims = "n=" + std::to_string(a.n) + ", c=" + std::to_string(a.c);
  if (double(a.n) * double(a.c) > 9.0e15) args.fail("too many elements (" + dims + ")");
  args.require_size(logits, "logits", a.n * a.c, dims);
  if (args.is_undefined(3) == args.is_undefined(4)) args.fail("pass exactly one of 'targets' and 'softTargets'");
  a.label_smoothing = static_cast<float>(args.number(6, "labelSmoothing"));
  if (!(a.label_smoothing >= 0.0f && a.label_smoothing <= 1.0f))
    args.fail("argument 'labelSmoothing' must lie in [0, 1], got " + std::to_string(a.label_smoothing));
  a.ignore_index = args.integer(7, "ignoreIndex", INT32_MIN);
  a.reduction = read_reduction(args, 8);
  Span<float> losses = args.floats(9, "losses");
  args.require_size(losses, "losses", a.reduction == Reduction::None ? a.n : 1, dims + ", reduction " + args.string(8, "reduction"));
  a.losses = losses.data;
  if (!args.is_undefined(5)) {
    Span<float> weights = args.floats(5, "weights");
    args.require_size(weights, "weights", a.c, dims);
    a.weights = weights.data;
  }
  if (!args.is_undefined(10)) {
    Span<float> dlogits = args.floats(10, "dlogits");
    args.require_size(dlogits, "dlogits", a.n * a.c, dims);
    require_disjoint(args, dlogits, a.n * a.c, "dlogits", logits, a.n * a.c, "logits", false);
    require_disjoint(args, dlogits, a.n * a.c, "dlogits", losses, a.reduction == Reduction::None ? a.n : 1, "losses", false);
    a.dlogits = dlogits.data;
  }
  require_disjoint(args, losses, a.reduction == Reduction::None ? a.n : 1, "losses", logits, a.n * a.c, "logits", false);
  a.logits = logits.data;
  if (!args.is_undefined(4)) {
    Span<float> soft = args.floats(4, "softTargets");
    args.require_size(soft, "softTargets", a.n * a.c, dims);
    if (a.dlogits) require_disjoint(args, Span<float>{a.dlogits, a.n * a.c}, a.n * a.c, "dlogits", soft, a.n * a.c, "softTargets", false);
    a.soft_targets = soft.data;
  } else {
    Span<int32_t> targets = args.int32s(3, "targets");
    args.require_size(targets, "targets", a.n, dims);
    for (int64_t i = 0; i < a.n; ++i) {
      const int64_t t = targets.data[i];
      if (t != a.ignore_index && (t < 0 || t >= a.c))
        args.fail("target " + std::to_string(t) + " at sample " + std::to_string(i) + " is outside [0, " +
                  std::to_string(a.c) + ") and is not ignoreIndex (" + std::to_string(a.ignore_index) + ")");
    }
    a.targets = targets.data;
  }
  Kernel(a);
  return info.Env().Undefined();
}

template <void (*Kernel)(const BceWithLogitsArgs&)>
Napi::Value BceWithLogits(const Napi::CallbackInfo& info) {
  Args args(info, "bceWithLogits");
  args.expect_count(7);
  BceWithLogitsArgs a;
  Span<float> logits = args.floats(0, "logits");
  Span<float> targets = args.floats(1, "targets");
  a.n = args.integer(2, "n");
  a.c = args.integer(3, "c", 1);
  const std::string dims = "n=" + std::to_string(a.n) + ", c=" + std::to_string(a.c);
  if (double(a.n) * double(a.c) > 9.0e15) args.fail("too many elements (" + dims + ")");
  args.require_size(logits, "logits", a.n * a.c, dims);
  args.require_size(targets, "targets", a.n * a.c, dims);
  if (!args.is_undefined(4)) {
    Span<float> pos_weight = args.floats(4, "posWeight");
    args.require_size(pos_weight, "posWeight", a.c, dims);
    a.pos_weight = pos_weight.data;
  }
  a.reduction = read_reduction(args, 5);
  Span<float> losses = args.floats(6, "losses");
  args.require_size(losses, "losses", a.reduction == Reduction::None ? a.n * a.c : 1, dims);
  if (!args.is_undefined(7)) {
    Span<float> dlogits = args.floats(7, "dlogits");
    args.require_size(dlogits, "dlogits", a.n * a.c, dims);
    a.dlogits = dlogits.data;
  }
  a.logits = logits.data;
  a.targets = targets.data;
  a.losses = losses.data;
  Kernel(a);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(loss) {
  Export(exports, "crossEntropy", CrossEntropy<cpu::cross_entropy>);
  Export(ref, "crossEntropy", CrossEntropy<ref::cross_entropy>);
  Export(exports, "bceWithLogits", BceWithLogits<cpu::bce_with_logits>);
  Export(ref, "bceWithLogits", BceWithLogits<ref::bce_with_logits>);
}

}  // namespace graft::binding
