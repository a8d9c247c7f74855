// cudaLerp(a, b, w, out): the arguments of lerp.cc over device buffers of one device; n = a's size.
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

Napi::Value CudaLerp(const Napi::CallbackInfo& info) {
  Args args(info, "cudaLerp");
  args.expect_count(4);
  const DeviceFloats a = device_floats(info, args, 0, "a"), b = device_floats(info, args, 1, "b");
  const DeviceFloats w = device_floats(info, args, 2, "w"), out = device_floats(info, args, 3, "out");
  require_same_device(args, {{"a", a}, {"b", b}, {"w", w}, {"out", out}});
  const LerpParams p{a.size};
  const std::string detail = "n=" + std::to_string(p.n) + " from 'a'";
  require_device_size(args, b, "b", p.n, detail);
  require_device_size(args, w, "w", p.n, detail);
  require_device_size(args, out, "out", p.n, detail);
  require_apart(args, out, "out", a, "a", p.n, true);
  require_apart(args, out, "out", b, "b", p.n, true);
  require_apart(args, out, "out", w, "w", p.n, true);
  cuda::lerp(p, a.data, b.data, w.data, out.data, a.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_lerp) {
  Export(exports, "cudaLerp", CudaLerp);
}

}  // namespace graft::binding
