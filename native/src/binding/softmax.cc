// softmax(x, outer, d, inner, y), logSoftmax(same)
// softmaxBackward(y, dy, outer, d, inner, dx), logSoftmaxBackward(same); all (outer, d, inner) contiguous.
#include <string>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/softmax.h"

namespace graft::binding {
namespace {

std::string dims_text(int64_t outer, int64_t d, int64_t inner) {
  return "outer=" + std::to_string(outer) + ", d=" + std::to_string(d) + ", inner=" + std::to_string(inner);
}

int64_t read_count(const Args& args, size_t i, int64_t& outer, int64_t& d, int64_t& inner) {
  outer = args.integer(i, "outer");
  d = args.integer(i + 1, "d");
  inner = args.integer(i + 2, "inner");
  if (double(outer) * double(d) * double(inner) > 9.0e15) args.fail("too many elements (" + dims_text(outer, d, inner) + ")");
  return outer * d * inner;
}

using ForwardKernel = void (*)(const float*, int64_t, int64_t, int64_t, float*);
using BackwardKernel = void (*)(const float*, const float*, int64_t, int64_t, int64_t, float*);

constexpr char kSoftmax[] = "softmax";
constexpr char kLogSoftmax[] = "logSoftmax";
constexpr char kSoftmaxBackward[] = "softmaxBackward";
constexpr char kLogSoftmaxBackward[] = "logSoftmaxBackward";

template <ForwardKernel Kernel, const char* Name>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, Name);
  args.expect_count(5);
  int64_t outer, d, inner;
  Span<float> x = args.floats(0, "x");
  const int64_t count = read_count(args, 1, outer, d, inner);
  Span<float> y = args.floats(4, "y");
  args.require_size(x, "x", count, dims_text(outer, d, inner));
  args.require_size(y, "y", count, dims_text(outer, d, inner));
  require_disjoint(args, y, count, "y", x, count, "x", true);
  Kernel(x.data, outer, d, inner, y.data);
  return info.Env().Undefined();
}

template <BackwardKernel Kernel, const char* Name>
Napi::Value Backward(const Napi::CallbackInfo& info) {
  Args args(info, Name);
  args.expect_count(6);
  int64_t outer, d, inner;
  Span<float> y = args.floats(0, "y");
  Span<float> dy = args.floats(1, "dy");
  const int64_t count = read_count(args, 2, outer, d, inner);
  Span<float> dx = args.floats(5, "dx");
  args.require_size(y, "y", count, dims_text(outer, d, inner));
  args.require_size(dy, "dy", count, dims_text(outer, d, inner));
  args.require_size(dx, "dx", count, dims_text(outer, d, inner));
  require_disjoint(args, dx, count, "dx", y, count, "y", true);
  require_disjoint(args, dx, count, "dx", dy, count, "dy", true);
  Kernel(y.data, dy.data, outer, d, inner, dx.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(softmax) {
  Export(exports, "softmax", Forward<cpu::softmax, kSoftmax>);
  Export(ref, "softmax", Forward<ref::softmax, kSoftmax>);
  Export(exports, "logSoftmax", Forward<cpu::log_softmax, kLogSoftmax>);
  Export(ref, "logSoftmax", Forward<ref::log_softmax, kLogSoftmax>);
  Export(exports, "softmaxBackward", Backward<cpu::softmax_backward, kSoftmaxBackward>);
  Export(ref, "softmaxBackward", Backward<ref::softmax_backward, kSoftmaxBackward>);
  Export(exports, "logSoftmaxBackward", Backward<cpu::log_softmax_backward, kLogSoftmaxBackward>);
  Export(ref, "logSoftmaxBackward", Backward<ref::log_softmax_backward, kLogSoftmaxBackward>);
}

}  // namespace graft::binding
