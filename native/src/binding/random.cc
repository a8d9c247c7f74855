// randomUniform(out, seed, offset, low, high)   randomNormal(out, seed, offset, mean, std)
// randomBernoulli(out, p, seed, offset)         randomPermutation(out: Int32Array, seed, offset)
// philox4x32(c0, c1, c2, c3, k0, k1) -> [4 words]   (the raw block, for known-answer tests)
#include "binding/kernel_args.h"
#include "graft/random.h"

namespace graft::binding {
namespace {

using FillFn = void (*)(float*, int64_t, uint64_t, uint64_t, double, double);

template <FillFn Kernel>
Napi::Value Uniform(const Napi::CallbackInfo& info) {
  Args args(info, "randomUniform");
  args.expect_count(5);
  Span<float> out = args.floats(0, "out");
  const uint64_t seed = stream_integer(args, 1, "seed"), offset = stream_integer(args, 2, "offset");
  const double low = finite(args, 3, "low"), high = finite(args, 4, "high");
  if (high < low) args.fail("argument 'high' (" + std::to_string(high) + ") is below 'low' (" + std::to_string(low) + ")");
  Kernel(out.data, out.size, seed, offset, low, high);
  return info.Env().Undefined();
}

template <FillFn Kernel>
Napi::Value Normal(const Napi::CallbackInfo& info) {
  Args args(info, "randomNormal");
  args.expect_count(5);
  Span<float> out = args.floats(0, "out");
  const uint64_t seed = stream_integer(args, 1, "seed"), offset = stream_integer(args, 2, "offset");
  const double mean = finite(args, 3, "mean"), std = finite(args, 4, "std");
  if (std < 0) args.fail("argument 'std' must be >= 0, got " + std::to_string(std));
  Kernel(out.data, out.size, seed, offset, mean, std);
  return info.Env().Undefined();
}

template <void (*Kernel)(float*, int64_t, double, uint64_t, uint64_t)>
Napi::Value Bernoulli(const Napi::CallbackInfo& info) {
  Args args(info, "randomBernoulli");
  args.expect_count(4);
  Span<float> out = args.floats(0, "out");
  const double p = probability(args, 1, "p");
  Kernel(out.data, out.size, p, stream_integer(args, 2, "seed"), stream_integer(args, 3, "offset"));
  return info.Env().Undefined();
}

template <void (*Kernel)(int32_t*, int64_t, uint64_t, uint64_t)>
Napi::Value Permutation(const Napi::CallbackInfo& info) {
  Args args(info, "randomPermutation");
  args.expect_count(3);
  Span<int32_t> out = args.int32s(0, "out");
  Kernel(out.data, out.size, stream_integer(args, 1, "seed"), stream_integer(args, 2, "offset"));
  return info.Env().Undefined();
}

Napi::Value Philox(const Napi::CallbackInfo& info) {
  Args args(info, "philox4x32");
  args.expect_count(6);
  static const char* names[6] = {"c0", "c1", "c2", "c3", "k0", "k1"};
  uint32_t words[6];
  for (size_t i = 0; i < 6; ++i) {
    const int64_t v = args.integer(i, names[i], 0);
    if (v > 0xFFFFFFFFLL) args.fail("argument '" + std::string(names[i]) + "' must be a 32-bit word");
    words[i] = static_cast<uint32_t>(v);
  }
  uint32_t out[4];
  philox4x32_10(words, words[4], words[5], out);
  Napi::Array result = Napi::Array::New(info.Env(), 4);
  for (uint32_t i = 0; i < 4; ++i) result.Set(i, Napi::Number::New(info.Env(), out[i]));
  return result;
}

}  // namespace

GRAFT_BINDING(random) {
  Export(exports, "randomUniform", Uniform<cpu::random_uniform>);
  Export(ref, "randomUniform", Uniform<ref::random_uniform>);
  Export(exports, "randomNormal", Normal<cpu::random_normal>);
  Export(ref, "randomNormal", Normal<ref::random_normal>);
  Export(exports, "randomBernoulli", Bernoulli<cpu::random_bernoulli>);
  Export(ref, "randomBernoulli", Bernoulli<ref::random_bernoulli>);
  Export(exports, "randomPermutation", Permutation<cpu::random_permutation>);
  Export(ref, "randomPermutation", Permutation<ref::random_permutation>);
  Export(exports, "philox4x32", Philox);
  Export(ref, "philox4x32", Philox);
}

}  // namespace graft::binding
