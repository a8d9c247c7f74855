// binary(op, shape, a, aOffset, aStrides, b, bOffset, bStrides, out)
// where(shape, cond, condOffset, condStrides, a, aOffset, aStrides, b, bOffset, bStrides, out)
#include <string>
#include <utility>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/elementwise.h"

namespace graft::binding {
namespace {

constexpr std::pair<const char*, BinaryOp> kBinaryOps[] = {
    {"add", BinaryOp::Add}, {"sub", BinaryOp::Sub}, {"mul", BinaryOp::Mul}, {"div", BinaryOp::Div},
    {"pow", BinaryOp::Pow}, {"maximum", BinaryOp::Maximum}, {"minimum", BinaryOp::Minimum},
    {"eq", BinaryOp::Eq}, {"ne", BinaryOp::Ne}, {"lt", BinaryOp::Lt}, {"le", BinaryOp::Le},
    {"gt", BinaryOp::Gt}, {"ge", BinaryOp::Ge},
};

// A strided float operand: its array, the pointer to its first element and its strides.
struct View {
  const float* data = nullptr;
  Dims strides;
};

// Reads (array, offset, strides) at arguments i, i+1, i+2 and checks the view fits its array.
View read_view(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name, const char* offset_name,
               const char* strides_name, const Dims& shape) {
  Span<float> array = args.floats(i, name);
  const int64_t offset = args.integer(i + 1, offset_name);
  Dims strides = read_strides(info, args, i + 2, strides_name, shape);
  require_view(args, array, name, offset, shape, strides);
  return View{array.data + (element_count(shape) == 0 ? 0 : offset), std::move(strides)};
}

using BinaryKernel = void (*)(BinaryOp, const Dims&, const float*, const Dims&, const float*, const Dims&, float*);
using WhereKernel = void (*)(const Dims&, const float*, const Dims&, const float*, const Dims&, const float*,
                             const Dims&, float*);

template <BinaryKernel Kernel>
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args args(info, "binary");
  args.expect_count(9);
  const std::string name = args.string(0, "op");
  const BinaryOp* op = nullptr;
  for (const auto& entry : kBinaryOps)
    if (name == entry.first) op = &entry.second;
  if (!op) args.fail("argument 'op' is '" + name + "', which is not a binary op");
  const Dims shape = read_view_shape(args, 1, "outShape");
  const View a = read_view(info, args, 2, "a", "aOffset", "aStrides", shape);
  const View b = read_view(info, args, 5, "b", "bOffset", "bStrides", shape);
  Span<float> out = args.floats(8, "out");
  args.require_size(out, "out", element_count(shape), "outShape " + shape_string(shape));
  if (element_count(shape) == 0) return info.Env().Undefined();
  require_no_alias(args, a.data, a.strides, "a", out.data, shape);
  require_no_alias(args, b.data, b.strides, "b", out.data, shape);
  Kernel(*op, shape, a.data, a.strides, b.data, b.strides, out.data);
  return info.Env().Undefined();
}

template <WhereKernel Kernel>
Napi::Value Where(const Napi::CallbackInfo& info) {
  Args args(info, "where");
  args.expect_count(11);
  const Dims shape = read_view_shape(args, 0, "outShape");
  const View cond = read_view(info, args, 1, "cond", "condOffset", "condStrides", shape);
  const View a = read_view(info, args, 4, "a", "aOffset", "aStrides", shape);
  const View b = read_view(info, args, 7, "b", "bOffset", "bStrides", shape);
  Span<float> out = args.floats(10, "out");
  args.require_size(out, "out", element_count(shape), "outShape " + shape_string(shape));
  if (element_count(shape) == 0) return info.Env().Undefined();
  require_no_alias(args, cond.data, cond.strides, "cond", out.data, shape);
  require_no_alias(args, a.data, a.strides, "a", out.data, shape);
  require_no_alias(args, b.data, b.strides, "b", out.data, shape);
  Kernel(shape, cond.data, cond.strides, a.data, a.strides, b.data, b.strides, out.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(binary) {
  Export(exports, "binary", Binary<cpu::binary>);
  Export(ref, "binary", Binary<ref::binary>);
  Export(exports, "where", Where<cpu::where>);
  Export(ref, "where", Where<ref::where>);
}

}  // namespace graft::binding
