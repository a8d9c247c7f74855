// indexSelect(x, outer, n, inner, indices, y), indexAdd(dy, outer, m, inner, indices, dx, n)
// gather(x, outer, n, inner, index, y, m), scatterAdd(dy, outer, m, inner, index, dx, n)
// oneHot(labels, classes, out)
// Every index is checked before anything is written; the error names its position.
#include <string>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/indexing.h"

namespace graft::binding {
namespace {

std::string dims_text(const char* mid, int64_t outer, int64_t size, int64_t inner) {
  return "outer=" + std::to_string(outer) + ", " + mid + "=" + std::to_string(size) + ", inner=" + std::to_string(inner);
}

void check_indices(const Args& args, const Span<int32_t>& idx, int64_t count, const char* name, int64_t n) {
  for (int64_t i = 0; i < count; ++i)
    if (idx.data[i] < 0 || idx.data[i] >= n)
      args.fail("argument '" + std::string(name) + "' holds " + std::to_string(idx.data[i]) + " at position " +
                std::to_string(i) + ", outside [0, " + std::to_string(n) + ")");
}

void check_sizes(const Args& args, int64_t a, int64_t b, int64_t c, int64_t d) {
  if (double(a) * double(b) * double(c) > 9.0e15 || double(a) * double(d) * double(c) > 9.0e15)
    args.fail("too many elements");
}

using SelectKernel = void (*)(const float*, int64_t, int64_t, int64_t, const int32_t*, int64_t, float*);

// indexSelect / gather: source (outer, n, inner) -> y (outer, m, inner)
template <SelectKernel Kernel, bool PerElement>
Napi::Value Select(const Napi::CallbackInfo& info) {
  Args args(info, PerElement ? "gather" : "indexSelect");
  args.expect_count(PerElement ? 7 : 6);
  Span<float> x = args.floats(0, "x");
  const int64_t outer = args.integer(1, "outer"), n = args.integer(2, "n"), inner = args.integer(3, "inner");
  Span<int32_t> idx = args.int32s(4, PerElement ? "index" : "indices");
  Span<float> y = args.floats(5, "y");
  const int64_t m = PerElement ? args.integer(6, "m") : idx.size;
  check_sizes(args, outer, n, inner, m);
  const std::string detail = dims_text("n", outer, n, inner) + ", m=" + std::to_string(m);
  args.require_size(x, "x", outer * n * inner, detail);
  args.require_size(y, "y", outer * m * inner, detail);
  const int64_t index_count = PerElement ? outer * m * inner : m;
  args.require_size(idx, PerElement ? "index" : "indices", index_count, detail);
  check_indices(args, idx, index_count, PerElement ? "index" : "indices", n);
  require_disjoint(args, y, outer * m * inner, "y", x, outer * n * inner, "x", false);
  Kernel(x.data, outer, n, inner, idx.data, m, y.data);
  return info.Env().Undefined();
}

// indexAdd / scatterAdd: dy (outer, m, inner) -> dx (outer, n, inner), accumulated.
template <SelectKernel Kernel, bool PerElement>
Napi::Value Accumulate(const Napi::CallbackInfo& info) {
  Args args(info, PerElement ? "scatterAdd" : "indexAdd");
  args.expect_count(7);
  Span<float> dy = args.floats(0, "dy");
  const int64_t outer = args.integer(1, "outer"), m = args.integer(2, "m"), inner = args.integer(3, "inner");
  Span<int32_t> idx = args.int32s(4, PerElement ? "index" : "indices");
  Span<float> dx = args.floats(5, "dx");
  const int64_t n = args.integer(6, "n");
  check_sizes(args, outer, n, inner, m);
  const std::string detail = dims_text("m", outer, m, inner) + ", n=" + std::to_string(n);
  args.require_size(dy, "dy", outer * m * inner, detail);
  args.require_size(dx, "dx", outer * n * inner, detail);
  const int64_t index_count = PerElement ? outer * m * inner : m;
  args.require_size(idx, PerElement ? "index" : "indices", index_count, detail);
  check_indices(args, idx, index_count, PerElement ? "index" : "indices", n);
  require_disjoint(args, dx, outer * n * inner, "dx", dy, outer * m * inner, "dy", false);
  Kernel(dy.data, outer, m, inner, idx.data, n, dx.data);
  return info.Env().Undefined();
}

template <void (*Kernel)(const int32_t*, int64_t, int64_t, float*)>
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  Args args(info, "oneHot");
  args.expect_count(3);
  Span<int32_t> labels = args.int32s(0, "labels");
  const int64_t classes = args.integer(1, "classes");
  Span<float> out = args.floats(2, "out");
  if (double(labels.size) * double(classes) > 9.0e15) args.fail("too many elements");
  args.require_size(out, "out", labels.size * classes,
                    std::to_string(labels.size) + " labels, classes=" + std::to_string(classes));
  check_indices(args, labels, labels.size, "labels", classes);
  Kernel(labels.data, labels.size, classes, out.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(indexing) {
  Export(exports, "indexSelect", Select<cpu::index_select, false>);
  Export(ref, "indexSelect", Select<ref::index_select, false>);
  Export(exports, "gather", Select<cpu::gather, true>);
  Export(ref, "gather", Select<ref::gather, true>);
  Export(exports, "indexAdd", Accumulate<cpu::index_add, false>);
  Export(ref, "indexAdd", Accumulate<ref::index_add, false>);
  Export(exports, "scatterAdd", Accumulate<cpu::scatter_add, true>);
  Export(ref, "scatterAdd", Accumulate<ref::scatter_add, true>);
  Export(exports, "oneHot", OneHot<cpu::one_hot>);
  Export(ref, "oneHot", OneHot<ref::one_hot>);
}

}  // namespace graft::binding
