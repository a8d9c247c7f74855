// dropout(x, y, mask: Uint8Array, p, seed, offset)   dropoutBackward(dy, mask, p, dx)
#include "binding/kernel_args.h"
#include "graft/random.h"

namespace graft::binding {
namespace {

template <void (*Kernel)(const float*, float*, uint8_t*, int64_t, double, uint64_t, uint64_t)>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, "dropout");
  args.expect_count(6);
  Span<float> x = args.floats(0, "x"), y = args.floats(1, "y");
  Span<uint8_t> mask = args.bytes(2, "mask");
  require_same_length(args, y, "y", x, "x");
  require_same_length(args, mask, "mask", x, "x");
  const double p = probability(args, 3, "p");
  Kernel(x.data, y.data, mask.data, x.size, p, stream_integer(args, 4, "seed"), stream_integer(args, 5, "offset"));
  return info.Env().Undefined();
}

template <void (*Kernel)(const float*, const uint8_t*, int64_t, double, float*)>
Napi::Value Backward(const Napi::CallbackInfo& info) {
  Args args(info, "dropoutBackward");
  args.expect_count(4);
  Span<float> dy = args.floats(0, "dy");
  Span<uint8_t> mask = args.bytes(1, "mask");
  const double p = probability(args, 2, "p");
  Span<float> dx = args.floats(3, "dx");
  require_same_length(args, mask, "mask", dy, "dy");
  require_same_length(args, dx, "dx", dy, "dy");
  Kernel(dy.data, mask.data, dy.size, p, dx.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(dropout) {
  Export(exports, "dropout", Forward<cpu::dropout>);
  Export(ref, "dropout", Forward<ref::dropout>);
  Export(exports, "dropoutBackward", Backward<cpu::dropout_backward>);
  Export(ref, "dropoutBackward", Backward<ref::dropout_backward>);
}

}  // namespace graft::binding
