// CUDA dropout over device buffers (graft/random.h): mask is a byte buffer (or slice), one byte per element.
//   cudaDropout(x, y, mask, p, seed, offset)   n = x's float count
//   cudaDropoutBackward(dy, mask, p, dx)       n = dy's float count
#include <cmath>
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

double read_p(const Args& args, size_t i) {
  const double p = args.number(i, "p");
  if (!(p >= 0.0 && p <= 1.0)) args.fail("argument 'p' must lie in [0, 1], got " + std::to_string(p));
  return p;
}

Napi::Value Dropout(const Napi::CallbackInfo& info) {
  Args args(info, "cudaDropout");
  args.expect_count(6);
  const DeviceFloats x = device_floats(info, args, 0, "x"), y = device_floats(info, args, 1, "y");
  const DeviceBytes mask = device_bytes(info, args, 2, "mask");
  const double p = read_p(args, 3);
  const int64_t seed = args.integer(4, "seed"), offset = args.integer(5, "offset");
  const std::string detail = "n=" + std::to_string(x.size) + " from 'x'";
  require_device_size(args, y, "y", x.size, detail);
  if (mask.bytes < x.size) args.fail("argument 'mask' holds " + std::to_string(mask.bytes) + " bytes, needs " + detail);
  if (x.device != y.device || x.device != mask.device) args.fail("arguments 'x', 'y' and 'mask' are on different devices");
  require_apart(args, y, "y", x, "x", x.size, true);
  require_apart(args, mask.data, x.size, "mask", x.data, x.size * int64_t(sizeof(float)), "x", false);
  require_apart(args, mask.data, x.size, "mask", y.data, x.size * int64_t(sizeof(float)), "y", false);
  cuda::dropout(x.data, y.data, mask.data, x.size, p, uint64_t(seed), uint64_t(offset), x.device);
  return info.Env().Undefined();
}

Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  Args args(info, "cudaDropoutBackward");
  args.expect_count(4);
  const DeviceFloats dy = device_floats(info, args, 0, "dy"), dx = device_floats(info, args, 3, "dx");
  const DeviceBytes mask = device_bytes(info, args, 1, "mask");
  const double p = read_p(args, 2);
  const std::string detail = "n=" + std::to_string(dy.size) + " from 'dy'";
  require_device_size(args, dx, "dx", dy.size, detail);
  if (mask.bytes < dy.size) args.fail("argument 'mask' holds " + std::to_string(mask.bytes) + " bytes, needs " + detail);
  if (dy.device != dx.device || dy.device != mask.device) args.fail("arguments 'dy', 'mask' and 'dx' are on different devices");
  require_apart(args, dx, "dx", dy, "dy", dy.size, true);
  require_apart(args, dx.data, dy.size * int64_t(sizeof(float)), "dx", mask.data, dy.size, "mask", false);
  cuda::dropout_backward(dy.data, mask.data, dy.size, p, dx.data, dy.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_dropout) {
  Export(exports, "cudaDropout", Dropout);
  Export(exports, "cudaDropoutBackward", DropoutBackward);
}

}  // namespace graft::binding
