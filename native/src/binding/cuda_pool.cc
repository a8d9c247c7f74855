// CUDA pooling over device buffers, with pool.cc's argument order and checks:
//   cudaMaxPool2dForward(n,c,h,w,kh,kw,strideH,strideW,padH,padW,dilH,dilW,ceilMode, x, y, indices)
//   cudaMaxPool2dBackward(<same 13>, dy, indices, dx)
//   cudaAvgPool2dForward(n,c,h,w,kh,kw,strideH,strideW,padH,padW,ceilMode,countIncludePad, x, y)
//   cudaAvgPool2dBackward(<same 12>, dy, dx)
//   cudaAdaptiveAvgPool2dForward(n,c,h,w,p,q, x, y), cudaAdaptiveAvgPool2dBackward(n,c,h,w,p,q, dy, dx)
// indices are int32 buffers. Validation only: the math is in src/cuda/pool.cu.
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 31;
constexpr double kMaxElements = 4.0e15;

int64_t dim(const Args& args, size_t i, const char* name, int64_t min_value) {
  const int64_t value = args.integer(i, name, min_value);
  if (value >= kMaxDim) args.fail("argument '" + std::string(name) + "' is too large (" + std::to_string(value) + ")");
  return value;
}

void read_input(const Args& args, int64_t& n, int64_t& c, int64_t& h, int64_t& w) {
  n = dim(args, 0, "n", 0), c = dim(args, 1, "c", 0), h = dim(args, 2, "h", 1), w = dim(args, 3, "w", 1);
  if (double(h) * w >= double(kMaxDim)) args.fail("an input plane of " + std::to_string(h) + "x" + std::to_string(w) + " is too large");
}

Pool2dParams read_window(const Args& args, bool max_pool, size_t& next) {
  Pool2dParams p;
  read_input(args, p.n, p.c, p.h, p.w);
  p.kh = dim(args, 4, "kernelH", 1), p.kw = dim(args, 5, "kernelW", 1);
  p.stride_h = dim(args, 6, "strideH", 1), p.stride_w = dim(args, 7, "strideW", 1);
  p.pad_h = dim(args, 8, "padH", 0), p.pad_w = dim(args, 9, "padW", 0);
  next = 10;
  if (max_pool) p.dil_h = dim(args, 10, "dilH", 1), p.dil_w = dim(args, 11, "dilW", 1), next = 12;
  p.ceil_mode = args.boolean(next++, "ceilMode");
  if (!max_pool) p.count_include_pad = args.boolean(next++, "countIncludePad");
  if (2 * p.pad_h > p.kh || 2 * p.pad_w > p.kw)
    args.fail("padding must be at most half the kernel size (" + p.describe() + ")");
  if (p.p() < 1 || p.q() < 1) args.fail("the output would be empty (" + p.describe() + ")");
  if (double(p.n) * p.c * p.h * p.w > kMaxElements) args.fail("the input is too large (" + p.describe() + ")");
  return p;
}

Napi::Value MaxForward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaMaxPool2dForward");
  args.expect_count(16);
  size_t i = 0;
  const Pool2dParams p = read_window(args, true, i);
  const DeviceFloats x = device_floats(info, args, i, "x"), y = device_floats(info, args, i + 1, "y");
  const DeviceFloats indices = device_floats(info, args, i + 2, "indices");
  require_device_size(args, x, "x", p.x_size(), p.describe());
  require_device_size(args, y, "y", p.y_size(), p.describe());
  require_device_size(args, indices, "indices", p.y_size(), p.describe());
  require_same_device(args, {{"x", x}, {"y", y}, {"indices", indices}});
  cuda::max_pool2d_forward(p, x.data, y.data, reinterpret_cast<int32_t*>(indices.data), x.device);
  return info.Env().Undefined();
}

Napi::Value MaxBackward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaMaxPool2dBackward");
  args.expect_count(16);
  size_t i = 0;
  const Pool2dParams p = read_window(args, true, i);
  const DeviceFloats dy = device_floats(info, args, i, "dy"), indices = device_floats(info, args, i + 1, "indices");
  const DeviceFloats dx = device_floats(info, args, i + 2, "dx");
  require_device_size(args, dy, "dy", p.y_size(), p.describe());
  require_device_size(args, indices, "indices", p.y_size(), p.describe());
  require_device_size(args, dx, "dx", p.x_size(), p.describe());
  require_same_device(args, {{"dy", dy}, {"indices", indices}, {"dx", dx}});
  cuda::max_pool2d_backward(p, dy.data, reinterpret_cast<const int32_t*>(indices.data), dx.data, dy.device);
  return info.Env().Undefined();
}

Napi::Value AvgForward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaAvgPool2dForward");
  args.expect_count(14);
  size_t i = 0;
  const Pool2dParams p = read_window(args, false, i);
  const DeviceFloats x = device_floats(info, args, i, "x"), y = device_floats(info, args, i + 1, "y");
  require_device_size(args, x, "x", p.x_size(), p.describe());
  require_device_size(args, y, "y", p.y_size(), p.describe());
  require_same_device(args, {{"x", x}, {"y", y}});
  cuda::avg_pool2d_forward(p, x.data, y.data, x.device);
  return info.Env().Undefined();
}

Napi::Value AvgBackward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaAvgPool2dBackward");
  args.expect_count(14);
  size_t i = 0;
  const Pool2dParams p = read_window(args, false, i);
  const DeviceFloats dy = device_floats(info, args, i, "dy"), dx = device_floats(info, args, i + 1, "dx");
  require_device_size(args, dy, "dy", p.y_size(), p.describe());
  require_device_size(args, dx, "dx", p.x_size(), p.describe());
  require_same_device(args, {{"dy", dy}, {"dx", dx}});
  cuda::avg_pool2d_backward(p, dy.data, dx.data, dy.device);
  return info.Env().Undefined();
}

AdaptivePool2dParams read_adaptive(const Args& args) {
  AdaptivePool2dParams p;
  read_input(args, p.n, p.c, p.h, p.w);
  p.p = dim(args, 4, "p", 1), p.q = dim(args, 5, "q", 1);
  if (double(p.n) * p.c * p.h * p.w > kMaxElements || double(p.n) * p.c * p.p * p.q > kMaxElements)
    args.fail("the input or output is too large (" + p.describe() + ")");
  return p;
}

Napi::Value AdaptiveForward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaAdaptiveAvgPool2dForward");
  args.expect_count(8);
  const AdaptivePool2dParams p = read_adaptive(args);
  const DeviceFloats x = device_floats(info, args, 6, "x"), y = device_floats(info, args, 7, "y");
  require_device_size(args, x, "x", p.x_size(), p.describe());
  require_device_size(args, y, "y", p.y_size(), p.describe());
  require_same_device(args, {{"x", x}, {"y", y}});
  cuda::adaptive_avg_pool2d_forward(p, x.data, y.data, x.device);
  return info.Env().Undefined();
}

Napi::Value AdaptiveBackward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaAdaptiveAvgPool2dBackward");
  args.expect_count(8);
  const AdaptivePool2dParams p = read_adaptive(args);
  const DeviceFloats dy = device_floats(info, args, 6, "dy"), dx = device_floats(info, args, 7, "dx");
  require_device_size(args, dy, "dy", p.y_size(), p.describe());
  require_device_size(args, dx, "dx", p.x_size(), p.describe());
  require_same_device(args, {{"dy", dy}, {"dx", dx}});
  cuda::adaptive_avg_pool2d_backward(p, dy.data, dx.data, dy.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_pool) {
  Export(exports, "cudaMaxPool2dForward", MaxForward);
  Export(exports, "cudaMaxPool2dBackward", MaxBackward);
  Export(exports, "cudaAvgPool2dForward", AvgForward);
  Export(exports, "cudaAvgPool2dBackward", AvgBackward);
  Export(exports, "cudaAdaptiveAvgPool2dForward", AdaptiveForward);
  Export(exports, "cudaAdaptiveAvgPool2dBackward", AdaptiveBackward);
}

}  // namespace graft::binding
