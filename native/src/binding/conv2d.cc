// conv2dForward(n,c,h,w,k,r,s,strideH,strideW,padH,padW,dilH,dilW,groups, x, weight, bias|null, y)
// conv2dBackwardData(<same 14 sizes>, dy, weight, dx)
// conv2dBackwardWeight(<same 14 sizes>, x, dy, dw, dbias|null)
// x (N,C,H,W), weight (K,C/G,R,S), bias (K), y (N,K,P,Q). Validation only: the math is in src/ref, src/cpu.
#include "binding/util.h"
#include "graft/conv2d.h"

namespace graft::binding {
namespace {

constexpr size_t kSizeArgs = 14;
constexpr int64_t kMaxDim = int64_t(1) << 31;  // keeps every product of two sizes inside int64
constexpr double kMaxElements = 4.0e15;         // keeps every tensor size exact in double and int64

using ForwardKernel = void (*)(const Conv2dParams&, const float*, const float*, const float*, float*);
using BackwardDataKernel = void (*)(const Conv2dParams&, const float*, const float*, float*);
using BackwardWeightKernel = void (*)(const Conv2dParams&, const float*, const float*, float*, float*);

int64_t dim(const Args& args, size_t i, const char* name, int64_t min_value) {
  const int64_t value = args.integer(i, name, min_value);
  if (value >= kMaxDim) args.fail("argument '" + std::string(name) + "' is too large (" + std::to_string(value) + ")");
  return value;
}

Conv2dParams read_params(const Args& args) {
  args.expect_count(kSizeArgs);
  Conv2dParams p;
  p.n = dim(args, 0, "n", 0), p.c = dim(args, 1, "c", 0), p.h = dim(args, 2, "h", 0), p.w = dim(args, 3, "w", 0);
  p.k = dim(args, 4, "k", 0), p.r = dim(args, 5, "r", 1), p.s = dim(args, 6, "s", 1);
  p.stride_h = dim(args, 7, "strideH", 1), p.stride_w = dim(args, 8, "strideW", 1);
  p.pad_h = dim(args, 9, "padH", 0), p.pad_w = dim(args, 10, "padW", 0);
  p.dil_h = dim(args, 11, "dilH", 1), p.dil_w = dim(args, 12, "dilW", 1);
  p.groups = dim(args, 13, "groups", 1);
  if (p.c % p.groups != 0 || p.k % p.groups != 0)
    args.fail("channels must be divisible by groups: c=" + std::to_string(p.c) + ", k=" + std::to_string(p.k) +
              ", groups=" + std::to_string(p.groups));
  if (p.p() < 1 || p.q() < 1)
    args.fail("the output would be empty: input " + std::to_string(p.h) + "x" + std::to_string(p.w) +
              " padded by " + std::to_string(p.pad_h) + "x" + std::to_string(p.pad_w) + " is smaller than the " +
              "dilated kernel " + std::to_string(p.dil_h * (p.r - 1) + 1) + "x" +
              std::to_string(p.dil_w * (p.s - 1) + 1) + " (" + p.describe() + ")");
  const double sizes[] = {double(p.n) * p.c * p.h * p.w, double(p.k) * p.cg() * p.r * p.s,
                          double(p.n) * p.k * p.p() * p.q(), double(p.cg()) * p.r * p.s * p.p() * p.q()};
  for (double size : sizes)
    if (size > kMaxElements) args.fail("the tensors are too large (" + p.describe() + ")");
  return p;
}

// x, weight, y (or their gradients): checks each buffer against the shape it must hold.
void check(const Args& args, const Span<float>& span, const char* name, int64_t needed, const Conv2dParams& p) {
  args.require_size(span, name, needed, p.describe());
}

float* optional_floats(const Args& args, size_t i, const char* name, int64_t needed, const Conv2dParams& p) {
  if (args.is_undefined(i)) return nullptr;
  Span<float> span = args.floats(i, name);
  check(args, span, name, needed, p);
  return span.data;
}

template <ForwardKernel Kernel>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dForward");
  const Conv2dParams p = read_params(args);
  args.expect_count(kSizeArgs + 4);
  Span<float> x = args.floats(14, "x"), w = args.floats(15, "weight");
  check(args, x, "x", p.x_size(), p);
  check(args, w, "weight", p.w_size(), p);
  const float* bias = optional_floats(args, 16, "bias", p.k, p);
  Span<float> y = args.floats(17, "y");
  check(args, y, "y", p.y_size(), p);
  Kernel(p, x.data, w.data, bias, y.data);
  return info.Env().Undefined();
}

template <BackwardDataKernel Kernel>
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardData");
  const Conv2dParams p = read_params(args);
  args.expect_count(kSizeArgs + 3);
  Span<float> dy = args.floats(14, "dy"), w = args.floats(15, "weight"), dx = args.floats(16, "dx");
  check(args, dy, "dy", p.y_size(), p);
  check(args, w, "weight", p.w_size(), p);
  check(args, dx, "dx", p.x_size(), p);
  Kernel(p, dy.data, w.data, dx.data);
  return info.Env().Undefined();
}

template <BackwardWeightKernel Kernel>
Napi::Value BackwardWeight(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardWeight");
  const Conv2dParams p = read_params(args);
  args.expect_count(kSizeArgs + 3);
  Span<float> x = args.floats(14, "x"), dy = args.floats(15, "dy"), dw = args.floats(16, "dw");
  check(args, x, "x", p.x_size(), p);
  check(args, dy, "dy", p.y_size(), p);
  check(args, dw, "dw", p.w_size(), p);
  float* dbias = optional_floats(args, 17, "dbias", p.k, p);
  Kernel(p, x.data, dy.data, dw.data, dbias);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(conv2d) {
  Export(exports, "conv2dForward", Forward<cpu::conv2d_forward>);
  Export(exports, "conv2dBackwardData", BackwardData<cpu::conv2d_backward_data>);
  Export(exports, "conv2dBackwardWeight", BackwardWeight<cpu::conv2d_backward_weight>);
  Export(ref, "conv2dForward", Forward<ref::conv2d_forward>);
  Export(ref, "conv2dBackwardData", BackwardData<ref::conv2d_backward_data>);
  Export(ref, "conv2dBackwardWeight", BackwardWeight<ref::conv2d_backward_weight>);
}

}  // namespace graft::binding
