// cudaRandomUniform(out, seed, offset, low, high)   cudaRandomNormal(out, seed, offset, mean, std)
// cudaRandomBernoulli(out, p, seed, offset)
// The arguments and checks of random.cc, filling a device buffer.
#include "binding/cuda_buffer.h"
#include "binding/kernel_args.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

Napi::Value Uniform(const Napi::CallbackInfo& info) {
  Args args(info, "cudaRandomUniform");
  args.expect_count(5);
  const DeviceFloats out = device_floats(info, args, 0, "out");
  const uint64_t seed = stream_integer(args, 1, "seed"), offset = stream_integer(args, 2, "offset");
  const double low = finite(args, 3, "low"), high = finite(args, 4, "high");
  if (high < low) args.fail("argument 'high' (" + std::to_string(high) + ") is below 'low' (" + std::to_string(low) + ")");
  cuda::random_uniform(out.data, out.size, seed, offset, low, high, out.device);
  return info.Env().Undefined();
}

Napi::Value Normal(const Napi::CallbackInfo& info) {
  Args args(info, "cudaRandomNormal");
  args.expect_count(5);
  const DeviceFloats out = device_floats(info, args, 0, "out");
  const uint64_t seed = stream_integer(args, 1, "seed"), offset = stream_integer(args, 2, "offset");
  const double mean = finite(args, 3, "mean"), std = finite(args, 4, "std");
  if (std < 0) args.fail("argument 'std' must be >= 0, got " + std::to_string(std));
  cuda::random_normal(out.data, out.size, seed, offset, mean, std, out.device);
  return info.Env().Undefined();
}

Napi::Value Bernoulli(const Napi::CallbackInfo& info) {
  Args args(info, "cudaRandomBernoulli");
  args.expect_count(4);
  const DeviceFloats out = device_floats(info, args, 0, "out");
  const double p = probability(args, 1, "p");
  cuda::random_bernoulli(out.data, out.size, p, stream_integer(args, 2, "seed"), stream_integer(args, 3, "offset"),
                         out.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_random) {
  Export(exports, "cudaRandomUniform", Uniform);
  Export(exports, "cudaRandomNormal", Normal);
  Export(exports, "cudaRandomBernoulli", Bernoulli);
}

}  // namespace graft::binding
