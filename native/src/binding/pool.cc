// maxPool2dForward(n,c,h,w,kh,kw,strideH,strideW,padH,padW,dilH,dilW,ceilMode, x, y, indices)
// maxPool2dBackward(<same 13>, dy, indices, dx)
// avgPool2dForward(n,c,h,w,kh,kw,strideH,strideW,padH,padW,ceilMode,countIncludePad, x, y)
// avgPool2dBackward(<same 12>, dy, dx)
// adaptiveAvgPool2dForward(n,c,h,w,p,q, x, y) and adaptiveAvgPool2dBackward(n,c,h,w,p,q, dy, dx)
// x (N,C,H,W), y and indices (N,C,P,Q). Validation only: the math is in src/ref and src/cpu.
#include "binding/util.h"
#include "graft/pool.h"

namespace graft::binding {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 31;
constexpr double kMaxElements = 4.0e15;

int64_t dim(const Args& args, size_t i, const char* name, int64_t min_value) {
  const int64_t value = args.integer(i, name, min_value);
  if (value >= kMaxDim) args.fail("argument '" + std::string(name) + "' is too large (" + std::to_string(value) + ")");
  return value;
}

// n, c, h, w at 0..3: a pool needs a non-empty plane; its flat indices must fit int32.
void read_input(const Args& args, int64_t& n, int64_t& c, int64_t& h, int64_t& w) {
  n = dim(args, 0, "n", 0), c = dim(args, 1, "c", 0), h = dim(args, 2, "h", 1), w = dim(args, 3, "w", 1);
  if (double(h) * w >= double(kMaxDim)) args.fail("an input plane of " + std::to_string(h) + "x" + std::to_string(w) + " is too large");
}

// Windowed pools: sizes at 0..9, then (max pool) dilation at 10, 11; `next` is the index after them.
Pool2dParams read_window(const Args& args, bool with_dilation, size_t& next) {
  Pool2dParams p;
  read_input(args, p.n, p.c, p.h, p.w);
  p.kh = dim(args, 4, "kernelH", 1), p.kw = dim(args, 5, "kernelW", 1);
  p.stride_h = dim(args, 6, "strideH", 1), p.stride_w = dim(args, 7, "strideW", 1);
  p.pad_h = dim(args, 8, "padH", 0), p.pad_w = dim(args, 9, "padW", 0);
  next = 10;
  if (with_dilation) p.dil_h = dim(args, 10, "dilH", 1), p.dil_w = dim(args, 11, "dilW", 1), next = 12;
  p.ceil_mode = args.boolean(next++, "ceilMode");
  if (2 * p.pad_h > p.kh || 2 * p.pad_w > p.kw)
    args.fail("padding must be at most half the kernel size (" + p.describe() + ")");
  if (p.p() < 1 || p.q() < 1) args.fail("the output would be empty (" + p.describe() + ")");
  if (double(p.n) * p.c * p.h * p.w > kMaxElements) args.fail("the input is too large (" + p.describe() + ")");
  return p;
}

Napi::Value MaxForwardImpl(const Napi::CallbackInfo& info, bool reference) {
  Args args(info, "maxPool2dForward");
  args.expect_count(16);
  size_t i = 0;
  const Pool2dParams p = read_window(args, true, i);
  Span<float> x = args.floats(i, "x"), y = args.floats(i + 1, "y");
  Span<int32_t> indices = args.int32s(i + 2, "indices");
  args.require_size(x, "x", p.x_size(), p.describe());
  args.require_size(y, "y", p.y_size(), p.describe());
  args.require_size(indices, "indices", p.y_size(), p.describe());
  (reference ? ref::max_pool2d_forward : cpu::max_pool2d_forward)(p, x.data, y.data, indices.data);
  return info.Env().Undefined();
}

Napi::Value MaxBackwardImpl(const Napi::CallbackInfo& info, bool reference) {
  Args args(info, "maxPool2dBackward");
  args.expect_count(16);
  size_t i = 0;
  const Pool2dParams p = read_window(args, true, i);
  Span<float> dy = args.floats(i, "dy");
  Span<int32_t> indices = args.int32s(i + 1, "indices");
  Span<float> dx = args.floats(i + 2, "dx");
  args.require_size(dy, "dy", p.y_size(), p.describe());
  args.require_size(indices, "indices", p.y_size(), p.describe());
  args.require_size(dx, "dx", p.x_size(), p.describe());
  (reference ? ref::max_pool2d_backward : cpu::max_pool2d_backward)(p, dy.data, indices.data, dx.data);
  return info.Env().Undefined();
}

Napi::Value AvgImpl(const Napi::CallbackInfo& info, bool backward, bool reference) {
  Args args(info, backward ? "avgPool2dBackward" : "avgPool2dForward");
  args.expect_count(14);
  size_t i = 0;
  Pool2dParams p = read_window(args, false, i);
  p.count_include_pad = args.boolean(i++, "countIncludePad");
  Span<float> in = args.floats(i, backward ? "dy" : "x"), out = args.floats(i + 1, backward ? "dx" : "y");
  args.require_size(in, backward ? "dy" : "x", backward ? p.y_size() : p.x_size(), p.describe());
  args.require_size(out, backward ? "dx" : "y", backward ? p.x_size() : p.y_size(), p.describe());
  if (backward) (reference ? ref::avg_pool2d_backward : cpu::avg_pool2d_backward)(p, in.data, out.data);
  else (reference ? ref::avg_pool2d_forward : cpu::avg_pool2d_forward)(p, in.data, out.data);
  return info.Env().Undefined();
}

Napi::Value AdaptiveImpl(const Napi::CallbackInfo& info, bool backward, bool reference) {
  Args args(info, backward ? "adaptiveAvgPool2dBackward" : "adaptiveAvgPool2dForward");
  args.expect_count(8);
  AdaptivePool2dParams p;
  read_input(args, p.n, p.c, p.h, p.w);
  p.p = dim(args, 4, "outH", 1), p.q = dim(args, 5, "outW", 1);
  if (double(p.n) * p.c * std::max(p.h * p.w, p.p * p.q) > kMaxElements) args.fail("the tensors are too large (" + p.describe() + ")");
  Span<float> in = args.floats(6, backward ? "dy" : "x"), out = args.floats(7, backward ? "dx" : "y");
  args.require_size(in, backward ? "dy" : "x", backward ? p.y_size() : p.x_size(), p.describe());
  args.require_size(out, backward ? "dx" : "y", backward ? p.x_size() : p.y_size(), p.describe());
  if (backward) (reference ? ref::adaptive_avg_pool2d_backward : cpu::adaptive_avg_pool2d_backward)(p, in.data, out.data);
  else (reference ? ref::adaptive_avg_pool2d_forward : cpu::adaptive_avg_pool2d_forward)(p, in.data, out.data);
  return info.Env().Undefined();
}

template <bool Reference> Napi::Value MaxForward(const Napi::CallbackInfo& info) { return MaxForwardImpl(info, Reference); }
template <bool Reference> Napi::Value MaxBackward(const Napi::CallbackInfo& info) { return MaxBackwardImpl(info, Reference); }
template <bool Backward, bool Reference> Napi::Value Avg(const Napi::CallbackInfo& info) { return AvgImpl(info, Backward, Reference); }
template <bool Backward, bool Reference> Napi::Value Adaptive(const Napi::CallbackInfo& info) { return AdaptiveImpl(info, Backward, Reference); }

}  // namespace

GRAFT_BINDING(pool) {
  Export(exports, "maxPool2dForward", MaxForward<false>);
  Export(exports, "maxPool2dBackward", MaxBackward<false>);
  Export(exports, "avgPool2dForward", Avg<false, false>);
  Export(exports, "avgPool2dBackward", Avg<true, false>);
  Export(exports, "adaptiveAvgPool2dForward", Adaptive<false, false>);
  Export(exports, "adaptiveAvgPool2dBackward", Adaptive<true, false>);
  Export(ref, "maxPool2dForward", MaxForward<true>);
  Export(ref, "maxPool2dBackward", MaxBackward<true>);
  Export(ref, "avgPool2dForward", Avg<false, true>);
  Export(ref, "avgPool2dBackward", Avg<true, true>);
  Export(ref, "adaptiveAvgPool2dForward", Adaptive<false, true>);
  Export(ref, "adaptiveAvgPool2dBackward", Adaptive<true, true>);
}

}  // namespace graft::binding
