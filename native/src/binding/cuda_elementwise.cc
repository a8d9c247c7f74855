// cudaUnary(op, x, y, alpha, beta, min, max, exponent)
// cudaUnaryBackward(op, x, y, dy, dx, alpha, beta, min, max, exponent)
// cudaBinary(op, shape, a, aOffset, aStrides, b, bOffset, bStrides, out)
// The arguments of unary.cc and binary.cc, over device buffers.
#include <string>
#include <utility>

#include "binding/cuda_buffer.h"
#include "binding/strided_args.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

// The names of binding/unary.cc and binding/binary.cc.
constexpr std::pair<const char*, UnaryOp> kUnaryOps[] = {
    {"neg", UnaryOp::Neg}, {"abs", UnaryOp::Abs}, {"relu", UnaryOp::Relu}, {"leakyRelu", UnaryOp::LeakyRelu},
    {"gelu", UnaryOp::Gelu}, {"geluTanh", UnaryOp::GeluTanh}, {"silu", UnaryOp::Silu},
    {"sigmoid", UnaryOp::Sigmoid}, {"tanh", UnaryOp::Tanh}, {"exp", UnaryOp::Exp}, {"log", UnaryOp::Log},
    {"sqrt", UnaryOp::Sqrt}, {"rsqrt", UnaryOp::Rsqrt}, {"square", UnaryOp::Square},
    {"reciprocal", UnaryOp::Reciprocal}, {"sign", UnaryOp::Sign}, {"clamp", UnaryOp::Clamp},
    {"affine", UnaryOp::Affine}, {"powScalar", UnaryOp::PowScalar},
};
constexpr std::pair<const char*, BinaryOp> kBinaryOps[] = {
    {"add", BinaryOp::Add}, {"sub", BinaryOp::Sub}, {"mul", BinaryOp::Mul}, {"div", BinaryOp::Div},
    {"pow", BinaryOp::Pow}, {"maximum", BinaryOp::Maximum}, {"minimum", BinaryOp::Minimum},
    {"eq", BinaryOp::Eq}, {"ne", BinaryOp::Ne}, {"lt", BinaryOp::Lt}, {"le", BinaryOp::Le},
    {"gt", BinaryOp::Gt}, {"ge", BinaryOp::Ge},
};

template <typename Op, size_t N>
Op read_op(const Args& args, size_t i, const std::pair<const char*, Op> (&table)[N], const char* kind) {
  const std::string name = args.string(i, "op");
  for (const auto& [key, op] : table)
    if (name == key) return op;
  args.fail("argument 'op' is '" + name + "', which is not a " + kind + " op");
}

UnaryParams read_params(const Args& args, size_t first) {
  UnaryParams p;
  p.alpha = static_cast<float>(args.number(first, "alpha"));
  p.beta = static_cast<float>(args.number(first + 1, "beta"));
  p.min = static_cast<float>(args.number(first + 2, "min"));
  p.max = static_cast<float>(args.number(first + 3, "max"));
  p.exponent = static_cast<float>(args.number(first + 4, "exponent"));
  return p;
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args args(info, "cudaUnary");
  args.expect_count(8);
  const UnaryOp op = read_op(args, 0, kUnaryOps, "unary");
  const DeviceFloats x = device_floats(info, args, 1, "x"), y = device_floats(info, args, 2, "y");
  const UnaryParams p = read_params(args, 3);
  require_same_device(args, {{"x", x}, {"y", y}});
  require_device_size(args, y, "y", x.size, "x has " + std::to_string(x.size) + " elements");
  require_apart(args, y, "y", x, "x", x.size, true);
  cuda::unary(op, p, x.data, y.data, x.size, x.device);
  return info.Env().Undefined();
}

Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaUnaryBackward");
  args.expect_count(10);
  const UnaryOp op = read_op(args, 0, kUnaryOps, "unary");
  const DeviceFloats x = device_floats(info, args, 1, "x"), y = device_floats(info, args, 2, "y");
  const DeviceFloats dy = device_floats(info, args, 3, "dy"), dx = device_floats(info, args, 4, "dx");
  const UnaryParams p = read_params(args, 5);
  require_same_device(args, {{"dy", dy}, {"x", x}, {"y", y}, {"dx", dx}});
  const std::string detail = "dy has " + std::to_string(dy.size) + " elements";
  require_device_size(args, x, "x", dy.size, detail);
  require_device_size(args, y, "y", dy.size, detail);
  require_device_size(args, dx, "dx", dy.size, detail);
  require_apart(args, dx, "dx", x, "x", dy.size, true);
  require_apart(args, dx, "dx", y, "y", dy.size, true);
  require_apart(args, dx, "dx", dy, "dy", dy.size, true);
  cuda::unary_backward(op, p, x.data, y.data, dy.data, dx.data, dy.size, dy.device);
  return info.Env().Undefined();
}

struct DeviceView {
  DeviceFloats buffer;
  const float* first = nullptr;  // the view's first element
  Dims strides;
};

DeviceView read_view(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name,
                     const char* offset_name, const char* strides_name, const Dims& shape) {
  const DeviceFloats buffer = device_floats(info, args, i, name);
  const int64_t offset = args.integer(i + 1, offset_name);
  Dims strides = read_strides(info, args, i + 2, strides_name, shape);
  require_view(args, Span<float>{buffer.data, buffer.size}, name, offset, shape, strides);
  return DeviceView{buffer, buffer.data + (element_count(shape) == 0 ? 0 : offset), std::move(strides)};
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args args(info, "cudaBinary");
  args.expect_count(9);
  const BinaryOp op = read_op(args, 0, kBinaryOps, "binary");
  const Dims shape = read_view_shape(args, 1, "outShape");
  const DeviceView a = read_view(info, args, 2, "a", "aOffset", "aStrides", shape);
  const DeviceView b = read_view(info, args, 5, "b", "bOffset", "bStrides", shape);
  const DeviceFloats out = device_floats(info, args, 8, "out");
  require_same_device(args, {{"out", out}, {"a", a.buffer}, {"b", b.buffer}});
  require_device_size(args, out, "out", element_count(shape), "outShape " + shape_string(shape));
  if (element_count(shape) > 0) {
    require_no_alias(args, a.first, a.strides, "a", const_cast<const float*>(out.data), shape);
    require_no_alias(args, b.first, b.strides, "b", const_cast<const float*>(out.data), shape);
  }
  cuda::binary(op, shape, a.first, a.strides, b.first, b.strides, out.data, out.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_elementwise) {
  Export(exports, "cudaUnary", Unary);
  Export(exports, "cudaUnaryBackward", UnaryBackward);
  Export(exports, "cudaBinary", Binary);
}

}  // namespace graft::binding
