// cudaConv2dForward(n,c,h,w,k,r,s,strideH,strideW,padH,padW,dilH,dilW,groups, x, weight, bias|null, y, precision?)
// cudaConv2dBackwardData(<same 14 sizes>, dy, weight, dx, precision?)
// cudaConv2dBackwardWeight(<same 14 sizes>, x, dy, dw, dbias|null, precision?)
// precision: 'float32' (default), 'tf32' or 'bf16', as cudaGemm's.
// The arguments and checks of conv2d.cc, over device buffers.
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

constexpr size_t kSizeArgs = 14;
constexpr int64_t kMaxDim = int64_t(1) << 31;  // keeps every product of two sizes inside int64
constexpr double kMaxElements = 4.0e15;

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
  if (p.p() < 1 || p.q() < 1) args.fail("the output would be empty (" + p.describe() + ")");
  const double sizes[] = {double(p.n) * p.c * p.h * p.w, double(p.k) * p.cg() * p.r * p.s,
                          double(p.n) * p.k * p.p() * p.q(), double(p.cg()) * p.r * p.s * p.p() * p.q()};
  for (double size : sizes)
    if (size > kMaxElements) args.fail("the tensors are too large (" + p.describe() + ")");
  return p;
}

// Reads a device buffer that must hold `needed` floats, on the same device as `first` (when given).
DeviceFloats sized(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name, int64_t needed,
                   const Conv2dParams& p, const DeviceFloats* first = nullptr, const char* first_name = nullptr) {
  const DeviceFloats b = device_floats(info, args, i, name);
  require_device_size(args, b, name, needed, p.describe());
  if (first) require_same_device(args, {{first_name, *first}, {name, b}});
  return b;
}

Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaConv2dForward");
  const Conv2dParams p = read_params(args);
  args.expect_count(kSizeArgs + 4);
  const DeviceFloats x = sized(info, args, 14, "x", p.x_size(), p);
  const DeviceFloats w = sized(info, args, 15, "weight", p.w_size(), p, &x, "x");
  const float* bias = args.is_undefined(16) ? nullptr : sized(info, args, 16, "bias", p.k, p, &x, "x").data;
  const DeviceFloats y = sized(info, args, 17, "y", p.y_size(), p, &x, "x");
  require_outputs_apart(args, {{y.data, p.y_size() * 4, "y"}},
                        {{x.data, p.x_size() * 4, "x"}, {w.data, p.w_size() * 4, "weight"}, {bias, bias ? p.k * 4 : 0, "bias"}});
  cuda::conv2d_forward(p, x.data, w.data, bias, y.data, precision_arg(args, 18), x.device);
  return info.Env().Undefined();
}

Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  Args args(info, "cudaConv2dBackwardData");
  const Conv2dParams p = read_params(args);
  args.expect_count(kSizeArgs + 3);
  const DeviceFloats dy = sized(info, args, 14, "dy", p.y_size(), p);
  const DeviceFloats w = sized(info, args, 15, "weight", p.w_size(), p, &dy, "dy");
  const DeviceFloats dx = sized(info, args, 16, "dx", p.x_size(), p, &dy, "dy");
  require_outputs_apart(args, {{dx.data, p.x_size() * 4, "dx"}},
                        {{dy.data, p.y_size() * 4, "dy"}, {w.data, p.w_size() * 4, "weight"}});
  cuda::conv2d_backward_data(p, dy.data, w.data, dx.data, precision_arg(args, 17), dy.device);
  return info.Env().Undefined();
}

Napi::Value BackwardWeight(const Napi::CallbackInfo& info) {
  Args args(info, "cudaConv2dBackwardWeight");
  const Conv2dParams p = read_params(args);
  args.expect_count(kSizeArgs + 3);
  const DeviceFloats x = sized(info, args, 14, "x", p.x_size(), p);
  const DeviceFloats dy = sized(info, args, 15, "dy", p.y_size(), p, &x, "x");
  const DeviceFloats dw = sized(info, args, 16, "dw", p.w_size(), p, &x, "x");
  float* dbias = args.is_undefined(17) ? nullptr : sized(info, args, 17, "dbias", p.k, p, &x, "x").data;
  require_outputs_apart(args, {{dw.data, p.w_size() * 4, "dw"}, {dbias, dbias ? p.k * 4 : 0, "dbias"}},
                        {{x.data, p.x_size() * 4, "x"}, {dy.data, p.y_size() * 4, "dy"}});
  cuda::conv2d_backward_weight(p, x.data, dy.data, dw.data, dbias, precision_arg(args, 18), x.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_conv2d) {
  Export(exports, "cudaConv2dForward", Forward);
  Export(exports, "cudaConv2dBackwardData", BackwardData);
  Export(exports, "cudaConv2dBackwardWeight", BackwardWeight);
}

}  // namespace graft::binding
