// CUDA indexing over device buffers (indices/index/labels: int32 buffers), graft/indexing.h layouts:
//   cudaIndexSelect(x, outer, n, inner, indices, m, y)    cudaIndexAdd(dy, outer, m, inner, indices, n, dx)
//   cudaGather(x, outer, n, inner, index, m, y)           cudaScatterAdd(dy, outer, m, inner, index, n, dx)
//   cudaOneHot(labels, count, classes, out)
// Index values stay on the device and are not checked here (see graft/cuda_ops.h).
#include <string>

#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

struct Sizes {
  int64_t outer, mid, inner, other;  // (outer, mid, inner) of the first buffer; `other` the second middle size
  std::string describe() const {
    return "outer=" + std::to_string(outer) + ", " + std::to_string(mid) + " and " + std::to_string(other) +
           " along the indexed dim, inner=" + std::to_string(inner);
  }
};

Sizes read_sizes(const Args& args) {
  Sizes s{args.integer(1, "outer"), args.integer(2, "mid"), args.integer(3, "inner"), args.integer(5, "other")};
  if (double(s.outer) * (double(s.mid) + double(s.other)) * double(s.inner) > 9.0e15) args.fail("too many elements");
  return s;
}

// Kind of call: select-like (index has `other` entries per row: one list, or one per element) reading
// `first` (outer, mid, inner) and writing (outer, other, inner); add-like the reverse.
template <typename Kernel>
Napi::Value Run(const Napi::CallbackInfo& info, const char* op, bool per_element_index, const char* in_name,
                const char* out_name, Kernel kernel) {
  Args args(info, op);
  args.expect_count(7);
  const Sizes s = read_sizes(args);
  const DeviceFloats in = device_floats(info, args, 0, in_name), index = device_floats(info, args, 4, "index");
  const DeviceFloats out = device_floats(info, args, 6, out_name);
  const bool adds = std::string(out_name) == "dx";
  // For adds, the first buffer is dy (outer, m, inner) and dx is (outer, n, inner) with n = `other`.
  const int64_t in_size = s.outer * s.mid * s.inner, out_size = s.outer * s.other * s.inner;
  const int64_t index_size = per_element_index ? s.outer * (adds ? s.mid : s.other) * s.inner : (adds ? s.mid : s.other);
  require_device_size(args, in, in_name, in_size, s.describe());
  require_device_size(args, index, "index", index_size, s.describe() + " (int32 indices)");
  require_device_size(args, out, out_name, out_size, s.describe());
  require_same_device(args, {{in_name, in}, {"index", index}, {out_name, out}});
  require_apart(args, out.data, out_size * 4, out_name, in.data, in_size * 4, in_name, false);
  require_apart(args, out.data, out_size * 4, out_name, index.data, index_size * 4, "index", false);
  kernel(in.data, s.outer, s.mid, s.inner, reinterpret_cast<const int32_t*>(index.data), s.other, out.data, in.device);
  return info.Env().Undefined();
}

Napi::Value IndexSelect(const Napi::CallbackInfo& info) {
  return Run(info, "cudaIndexSelect", false, "x", "y", cuda::index_select);
}
Napi::Value IndexAdd(const Napi::CallbackInfo& info) { return Run(info, "cudaIndexAdd", false, "dy", "dx", cuda::index_add); }
Napi::Value Gather(const Napi::CallbackInfo& info) { return Run(info, "cudaGather", true, "x", "y", cuda::gather); }
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  return Run(info, "cudaScatterAdd", true, "dy", "dx", cuda::scatter_add);
}

Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "cudaOneHot");
  args.expect_count(4);
  const DeviceFloats labels = device_floats(info, args, 0, "labels"), out = device_floats(info, args, 3, "out");
  const int64_t count = args.integer(1, "count"), classes = args.integer(2, "classes", 1);
  if (double(count) * double(classes) > 9.0e15) args.fail("too many elements");
  const std::string detail = "count=" + std::to_string(count) + ", classes=" + std::to_string(classes);
  require_device_size(args, labels, "labels", count, detail + " (int32 labels)");
  require_device_size(args, out, "out", count * classes, detail);
  require_same_device(args, {{"labels", labels}, {"out", out}});
  cuda::one_hot(reinterpret_cast<const int32_t*>(labels.data), count, classes, out.data, out.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_indexing) {
  Export(exports, "cudaIndexSelect", IndexSelect);
  Export(exports, "cudaIndexAdd", IndexAdd);
  Export(exports, "cudaGather", Gather);
  Export(exports, "cudaScatterAdd", ScatterAdd);
  Export(exports, "cudaOneHot", OneHot);
}

}  // namespace graft::binding
