// unary(op, x, y, alpha, beta, min, max, exponent)
// unaryBackward(op, x, y, dy, dx, alpha, beta, min, max, exponent)
#include <string>
#include <utility>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/elementwise.h"

namespace graft::binding {
namespace {

constexpr std::pair<const char*, UnaryOp> kUnaryOps[] = {
    {"neg", UnaryOp::Neg}, {"abs", UnaryOp::Abs}, {"relu", UnaryOp::Relu}, {"leakyRelu", UnaryOp::LeakyRelu},
    {"gelu", UnaryOp::Gelu}, {"geluTanh", UnaryOp::GeluTanh}, {"silu", UnaryOp::Silu},
    {"sigmoid", UnaryOp::Sigmoid}, {"tanh", UnaryOp::Tanh}, {"exp", UnaryOp::Exp}, {"log", UnaryOp::Log},
    {"sqrt", UnaryOp::Sqrt}, {"rsqrt", UnaryOp::Rsqrt}, {"square", UnaryOp::Square},
    {"reciprocal", UnaryOp::Reciprocal}, {"sign", UnaryOp::Sign}, {"clamp", UnaryOp::Clamp},
    {"affine", UnaryOp::Affine}, {"powScalar", UnaryOp::PowScalar},
};

UnaryOp read_op(const Args& args, size_t i) {
  const std::string name = args.string(i, "op");
  for (const auto& [key, op] : kUnaryOps)
    if (name == key) return op;
  args.fail("argument 'op' is '" + name + "', which is not a unary op");
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

using UnaryKernel = void (*)(UnaryOp, const UnaryParams&, const float*, float*, int64_t);
using UnaryBackwardKernel = void (*)(UnaryOp, const UnaryParams&, const float*, const float*, const float*,
                                     float*, int64_t);

template <UnaryKernel Kernel>
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args args(info, "unary");
  args.expect_count(8);
  const UnaryOp op = read_op(args, 0);
  Span<float> x = args.floats(1, "x");
  Span<float> y = args.floats(2, "y");
  const UnaryParams p = read_params(args, 3);
  args.require_size(y, "y", x.size, "x has " + std::to_string(x.size) + " elements");
  require_disjoint(args, y, x.size, "y", x, x.size, "x", true);
  Kernel(op, p, x.data, y.data, x.size);
  return info.Env().Undefined();
}

template <UnaryBackwardKernel Kernel>
Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  Args args(info, "unaryBackward");
  args.expect_count(10);
  const UnaryOp op = read_op(args, 0);
  Span<float> x = args.floats(1, "x");
  Span<float> y = args.floats(2, "y");
  Span<float> dy = args.floats(3, "dy");
  Span<float> dx = args.floats(4, "dx");
  const UnaryParams p = read_params(args, 5);
  const std::string detail = "dy has " + std::to_string(dy.size) + " elements";
  args.require_size(x, "x", dy.size, detail);
  args.require_size(y, "y", dy.size, detail);
  args.require_size(dx, "dx", dy.size, detail);
  require_disjoint(args, dx, dy.size, "dx", x, dy.size, "x", true);
  require_disjoint(args, dx, dy.size, "dx", y, dy.size, "y", true);
  require_disjoint(args, dx, dy.size, "dx", dy, dy.size, "dy", true);
  Kernel(op, p, x.data, y.data, dy.data, dx.data, dy.size);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(unary) {
  Export(exports, "unary", Unary<cpu::unary>);
  Export(ref, "unary", Unary<ref::unary>);
  Export(exports, "unaryBackward", UnaryBackward<cpu::unary_backward>);
  Export(ref, "unaryBackward", UnaryBackward<ref::unary_backward>);
}

}  // namespace graft::binding
