// lerp(a, b, w, out): out = a + w * (b - a) over float32 arrays of one length n = a.length.
#include <string>

#include "binding/util.h"
#include "graft/lerp.h"

namespace graft::binding {
namespace {

// An input may be `out` itself (each element is read before it is written) but must not otherwise
// overlap it: threads would read elements another one has already overwritten.
void require_no_partial_overlap(const Args& args, const Span<float>& input, const char* name, const float* out,
                                int64_t n) {
  if (n == 0 || input.data == out) return;
  if (input.data < out + n && out < input.data + n)
    args.fail("argument '" + std::string(name) + "' overlaps 'out' at a different offset (n=" + std::to_string(n) +
              "); pass the same array or separate ones");
}

using LerpKernel = void (*)(const LerpParams&, const float*, const float*, const float*, float*);

template <LerpKernel Kernel>
Napi::Value Lerp(const Napi::CallbackInfo& info) {
  Args args(info, "lerp");
  args.expect_count(4);
  const Span<float> a = args.floats(0, "a"), b = args.floats(1, "b"), w = args.floats(2, "w");
  const Span<float> out = args.floats(3, "out");
  const LerpParams p{a.size};
  const std::string detail = "n=" + std::to_string(p.n) + " from 'a'";
  args.require_size(b, "b", p.n, detail);
  args.require_size(w, "w", p.n, detail);
  args.require_size(out, "out", p.n, detail);
  require_no_partial_overlap(args, a, "a", out.data, p.n);
  require_no_partial_overlap(args, b, "b", out.data, p.n);
  require_no_partial_overlap(args, w, "w", out.data, p.n);
  Kernel(p, a.data, b.data, w.data, out.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(lerp) {
  Export(exports, "lerp", Lerp<cpu::lerp>);
  Export(ref, "lerp", Lerp<ref::lerp>);
}

}  // namespace graft::binding
