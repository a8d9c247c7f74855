// sumOfSquares(x) -> number     clipGradNorm(grads: Float32Array[], maxNorm, normType) -> number
#include <cmath>
#include <vector>

#include "binding/kernel_args.h"
#include "graft/optim.h"

namespace graft::binding {
namespace {

template <double (*Kernel)(const float*, int64_t)>
Napi::Value SumOfSquares(const Napi::CallbackInfo& info) {
  Args args(info, "sumOfSquares");
  args.expect_count(1);
  Span<float> x = args.floats(0, "x");
  return Napi::Number::New(info.Env(), Kernel(x.data, x.size));
}

template <double (*Kernel)(float* const*, const int64_t*, int64_t, double, double)>
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  Args args(info, "clipGradNorm");
  args.expect_count(3);
  if (!info[0].IsArray()) args.fail_type("argument 'grads' must be an array of Float32Array");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<float*> grads(list.Length());
  std::vector<int64_t> sizes(list.Length());
  for (uint32_t k = 0; k < list.Length(); ++k) {
    Napi::Value item = list.Get(k);
    if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      args.fail_type("argument 'grads' item " + std::to_string(k) + " must be a Float32Array");
    auto array = item.As<Napi::Float32Array>();
    grads[k] = array.Data();
    sizes[k] = static_cast<int64_t>(array.ElementLength());
  }
  const double max_norm = args.number(1, "maxNorm"), norm_type = args.number(2, "normType");
  if (std::isnan(max_norm)) args.fail("argument 'maxNorm' must be a number, got NaN");
  if (!(norm_type > 0)) args.fail("argument 'normType' must be > 0 or Infinity, got " + std::to_string(norm_type));
  const double total = Kernel(grads.data(), sizes.data(), static_cast<int64_t>(grads.size()), max_norm, norm_type);
  return Napi::Number::New(info.Env(), total);
}

}  // namespace

GRAFT_BINDING(clip) {
  Export(exports, "sumOfSquares", SumOfSquares<cpu::sum_of_squares>);
  Export(ref, "sumOfSquares", SumOfSquares<ref::sum_of_squares>);
  Export(exports, "clipGradNorm", ClipGradNorm<cpu::clip_grad_norm>);
  Export(ref, "clipGradNorm", ClipGradNorm<ref::clip_grad_norm>);
}

}  // namespace graft::binding
