// reduce(op, x, outer, r, inner, y), argReduce(op, x, outer, r, inner, y)
// x (outer, r, inner) contiguous -> y (outer, inner).
#include <string>

#include "binding/util.h"
#include "graft/reduce.h"

namespace graft::binding {
namespace {

struct Dims3 {
  int64_t outer, r, inner;
  std::string text() const {
    return "outer=" + std::to_string(outer) + ", r=" + std::to_string(r) + ", inner=" + std::to_string(inner);
  }
};

Dims3 read_dims(const Args& args, size_t i) {
  Dims3 d{args.integer(i, "outer"), args.integer(i + 1, "r"), args.integer(i + 2, "inner")};
  if (double(d.outer) * double(d.r) * double(d.inner) > 9.0e15) args.fail("too many elements (" + d.text() + ")");
  return d;
}

template <void (*Kernel)(ReduceOp, const float*, int64_t, int64_t, int64_t, float*)>
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args args(info, "reduce");
  args.expect_count(6);
  const std::string name = args.string(0, "op");
  ReduceOp op;
  if (name == "sum") op = ReduceOp::Sum;
  else if (name == "mean") op = ReduceOp::Mean;
  else if (name == "max") op = ReduceOp::Max;
  else if (name == "min") op = ReduceOp::Min;
  else if (name == "prod") op = ReduceOp::Prod;
  else args.fail("argument 'op' is '" + name + "', which is not one of sum, mean, max, min, prod");
  Span<float> x = args.floats(1, "x");
  const Dims3 d = read_dims(args, 2);
  Span<float> y = args.floats(5, "y");
  args.require_size(x, "x", d.outer * d.r * d.inner, d.text());
  args.require_size(y, "y", d.outer * d.inner, d.text());
  if (d.r == 0 && d.outer * d.inner > 0 && (op == ReduceOp::Max || op == ReduceOp::Min))
    args.fail(name + " over an empty dim (" + d.text() + ") has no identity");
  Kernel(op, x.data, d.outer, d.r, d.inner, y.data);
  return info.Env().Undefined();
}

template <void (*Kernel)(ArgReduceOp, const float*, int64_t, int64_t, int64_t, int32_t*)>
Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  Args args(info, "argReduce");
  args.expect_count(6);
  const std::string name = args.string(0, "op");
  ArgReduceOp op;
  if (name == "argmax") op = ArgReduceOp::Argmax;
  else if (name == "argmin") op = ArgReduceOp::Argmin;
  else args.fail("argument 'op' is '" + name + "', which is not one of argmax, argmin");
  Span<float> x = args.floats(1, "x");
  const Dims3 d = read_dims(args, 2);
  Span<int32_t> y = args.int32s(5, "y");
  args.require_size(x, "x", d.outer * d.r * d.inner, d.text());
  args.require_size(y, "y", d.outer * d.inner, d.text());
  if (d.r == 0 && d.outer * d.inner > 0) args.fail(name + " over an empty dim (" + d.text() + ") has no answer");
  if (d.r > 2147483647) args.fail(name + ": r=" + std::to_string(d.r) + " does not fit an int32 index");
  Kernel(op, x.data, d.outer, d.r, d.inner, y.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(reduce) {
  Export(exports, "reduce", Reduce<cpu::reduce>);
  Export(ref, "reduce", Reduce<ref::reduce>);
  Export(exports, "argReduce", ArgReduce<cpu::arg_reduce>);
  Export(ref, "argReduce", ArgReduce<ref::arg_reduce>);
}

}  // namespace graft::binding
