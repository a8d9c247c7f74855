// cudaReduce(op, x, outer, r, inner, y)       x (outer, r, inner) -> y (outer, inner) floats
// cudaArgReduce(op, x, outer, r, inner, y)    y holds int32 indices (read it with an Int32Array)
// cudaSoftmax / cudaLogSoftmax(x, outer, d, inner, y)
// cudaSoftmaxBackward / cudaLogSoftmaxBackward(y, dy, outer, d, inner, dx)
// The arguments and checks of reduce.cc and softmax.cc, over device buffers.
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

struct Dims3 {
  int64_t outer, r, inner;
  std::string text(const char* middle) const {
    return "outer=" + std::to_string(outer) + ", " + middle + "=" + std::to_string(r) + ", inner=" + std::to_string(inner);
  }
};

Dims3 read_dims(const Args& args, size_t i, const char* middle) {
  Dims3 d{args.integer(i, "outer"), args.integer(i + 1, middle), args.integer(i + 2, "inner")};
  if (double(d.outer) * double(d.r) * double(d.inner) > 9.0e15) args.fail("too many elements (" + d.text(middle) + ")");
  return d;
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args args(info, "cudaReduce");
  args.expect_count(6);
  const std::string name = args.string(0, "op");
  ReduceOp op;
  if (name == "sum") op = ReduceOp::Sum;
  else if (name == "mean") op = ReduceOp::Mean;
  else if (name == "max") op = ReduceOp::Max;
  else if (name == "min") op = ReduceOp::Min;
  else if (name == "prod") op = ReduceOp::Prod;
  else args.fail("argument 'op' is '" + name + "', which is not one of sum, mean, max, min, prod");
  const DeviceFloats x = device_floats(info, args, 1, "x");
  const Dims3 d = read_dims(args, 2, "r");
  const DeviceFloats y = device_floats(info, args, 5, "y");
  require_same_device(args, {{"x", x}, {"y", y}});
  require_device_size(args, x, "x", d.outer * d.r * d.inner, d.text("r"));
  require_device_size(args, y, "y", d.outer * d.inner, d.text("r"));
  if (d.r == 0 && d.outer * d.inner > 0 && (op == ReduceOp::Max || op == ReduceOp::Min))
    args.fail(name + " over an empty dim (" + d.text("r") + ") has no identity");
  cuda::reduce(op, x.data, d.outer, d.r, d.inner, y.data, x.device);
  return info.Env().Undefined();
}

Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  Args args(info, "cudaArgReduce");
  args.expect_count(6);
  const std::string name = args.string(0, "op");
  ArgReduceOp op;
  if (name == "argmax") op = ArgReduceOp::Argmax;
  else if (name == "argmin") op = ArgReduceOp::Argmin;
  else args.fail("argument 'op' is '" + name + "', which is not one of argmax, argmin");
  const DeviceFloats x = device_floats(info, args, 1, "x");
  const Dims3 d = read_dims(args, 2, "r");
  const DeviceFloats y = device_floats(info, args, 5, "y");
  require_same_device(args, {{"x", x}, {"y", y}});
  require_device_size(args, x, "x", d.outer * d.r * d.inner, d.text("r"));
  require_device_size(args, y, "y", d.outer * d.inner, d.text("r"));
  if (d.r == 0 && d.outer * d.inner > 0) args.fail(name + " over an empty dim (" + d.text("r") + ") has no answer");
  if (d.r > 2147483647) args.fail(name + ": r=" + std::to_string(d.r) + " does not fit an int32 index");
  cuda::arg_reduce(op, x.data, d.outer, d.r, d.inner, reinterpret_cast<int32_t*>(y.data), x.device);
  return info.Env().Undefined();
}

using Forward = void (*)(const float*, int64_t, int64_t, int64_t, float*, int);
using Backward = void (*)(const float*, const float*, int64_t, int64_t, int64_t, float*, int);
constexpr char kSoftmax[] = "cudaSoftmax";
constexpr char kLogSoftmax[] = "cudaLogSoftmax";
constexpr char kSoftmaxBackward[] = "cudaSoftmaxBackward";
constexpr char kLogSoftmaxBackward[] = "cudaLogSoftmaxBackward";

template <Forward Kernel, const char* Name>
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args args(info, Name);
  args.expect_count(5);
  const DeviceFloats x = device_floats(info, args, 0, "x");
  const Dims3 d = read_dims(args, 1, "d");
  const DeviceFloats y = device_floats(info, args, 4, "y");
  require_same_device(args, {{"x", x}, {"y", y}});
  require_device_size(args, x, "x", d.outer * d.r * d.inner, d.text("d"));
  require_device_size(args, y, "y", d.outer * d.r * d.inner, d.text("d"));
  require_apart(args, y, "y", x, "x", d.outer * d.r * d.inner, true);
  Kernel(x.data, d.outer, d.r, d.inner, y.data, x.device);
  return info.Env().Undefined();
}

template <Backward Kernel, const char* Name>
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args args(info, Name);
  args.expect_count(6);
  const DeviceFloats y = device_floats(info, args, 0, "y"), dy = device_floats(info, args, 1, "dy");
  const Dims3 d = read_dims(args, 2, "d");
  const DeviceFloats dx = device_floats(info, args, 5, "dx");
  require_same_device(args, {{"y", y}, {"dy", dy}, {"dx", dx}});
  const int64_t count = d.outer * d.r * d.inner;
  require_device_size(args, y, "y", count, d.text("d"));
  require_device_size(args, dy, "dy", count, d.text("d"));
  require_device_size(args, dx, "dx", count, d.text("d"));
  require_apart(args, dx, "dx", y, "y", count, true);
  require_apart(args, dx, "dx", dy, "dy", count, true);
  Kernel(y.data, dy.data, d.outer, d.r, d.inner, dx.data, y.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_reduce) {
  Export(exports, "cudaReduce", Reduce);
  Export(exports, "cudaArgReduce", ArgReduce);
  Export(exports, "cudaSoftmax", SoftmaxForward<cuda::softmax, kSoftmax>);
  Export(exports, "cudaLogSoftmax", SoftmaxForward<cuda::log_softmax, kLogSoftmax>);
  Export(exports, "cudaSoftmaxBackward", SoftmaxBackward<cuda::softmax_backward, kSoftmaxBackward>);
  Export(exports, "cudaLogSoftmaxBackward", SoftmaxBackward<cuda::log_softmax_backward, kLogSoftmaxBackward>);
}

}  // namespace graft::binding
