// layerNorm(x, rows, d, gamma?, beta?, eps, y, saveMean, saveInvStd)
// layerNormBackward(x, dy, rows, d, gamma?, saveMean, saveInvStd, dx?, dgamma?, dbeta?)
#include "binding/kernel_args.h"
#include "graft/norm.h"

namespace graft::binding {
namespace {

float* sized(const Args& args, size_t i, const char* name, int64_t needed, const std::string& detail) {
  Span<float> span = args.floats(i, name);
  args.require_size(span, name, needed, detail);
  return span.data;
}

template <void (*Kernel)(const LayerNormArgs&)>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, "layerNorm");
  args.expect_count(9);
  LayerNormArgs a;
  a.rows = args.integer(1, "rows");
  a.d = args.integer(2, "d");
  const std::string detail = "x (rows,D) = " + shape_string({a.rows, a.d});
  const int64_t size = elements(args, {a.rows, a.d}, detail);
  a.x = sized(args, 0, "x", size, detail);
  a.gamma = optional_sized(args, 3, "gamma", a.d, detail);
  a.beta = optional_sized(args, 4, "beta", a.d, detail);
  a.eps = finite(args, 5, "eps");
  if (a.eps < 0) args.fail("argument 'eps' must be >= 0, got " + std::to_string(a.eps));
  a.y = sized(args, 6, "y", size, detail);
  a.save_mean = sized(args, 7, "saveMean", a.rows, detail);
  a.save_invstd = sized(args, 8, "saveInvStd", a.rows, detail);
  Kernel(a);
  return info.Env().Undefined();
}

template <void (*Kernel)(const LayerNormBackwardArgs&)>
Napi::Value Backward(const Napi::CallbackInfo& info) {
  Args args(info, "layerNormBackward");
  args.expect_count(7);
  LayerNormBackwardArgs a;
  a.rows = args.integer(2, "rows");
  a.d = args.integer(3, "d");
  const std::string detail = "x (rows,D) = " + shape_string({a.rows, a.d});
  const int64_t size = elements(args, {a.rows, a.d}, detail);
  a.x = sized(args, 0, "x", size, detail);
  a.dy = sized(args, 1, "dy", size, detail);
  a.gamma = optional_sized(args, 4, "gamma", a.d, detail);
  a.save_mean = sized(args, 5, "saveMean", a.rows, detail);
  a.save_invstd = sized(args, 6, "saveInvStd", a.rows, detail);
  a.dx = optional_sized(args, 7, "dx", size, detail);
  a.dgamma = optional_sized(args, 8, "dgamma", a.d, detail);
  a.dbeta = optional_sized(args, 9, "dbeta", a.d, detail);
  Kernel(a);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(layer_norm) {
  Export(exports, "layerNorm", Forward<cpu::layer_norm>);
  Export(ref, "layerNorm", Forward<ref::layer_norm>);
  Export(exports, "layerNormBackward", Backward<cpu::layer_norm_backward>);
  Export(ref, "layerNormBackward", Backward<ref::layer_norm_backward>);
}

}  // namespace graft::binding
