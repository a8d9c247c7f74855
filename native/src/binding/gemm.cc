// gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
#include "binding/util.h"
#include "graft/gemm.h"

namespace graft::binding {
namespace {

using GemmKernel = void (*)(const GemmParams&, const float*, const float*, float*);

std::string dims(const GemmParams& p) {
  return "m=" + std::to_string(p.m) + ", n=" + std::to_string(p.n) + ", k=" + std::to_string(p.k) +
         ", batch=" + std::to_string(p.batch);
}

template <GemmKernel Kernel>
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args args(info, "gemm");
  args.expect_count(17);
  GemmParams p;
  p.trans_a = args.boolean(0, "transA");
  p.trans_b = args.boolean(1, "transB");
  p.m = args.integer(2, "m");
  p.n = args.integer(3, "n");
  p.k = args.integer(4, "k");
  p.alpha = static_cast<float>(args.number(5, "alpha"));
  Span<float> a = args.floats(6, "a");
  p.lda = args.integer(7, "lda");
  p.stride_a = args.integer(8, "strideA");
  Span<float> b = args.floats(9, "b");
  p.ldb = args.integer(10, "ldb");
  p.stride_b = args.integer(11, "strideB");
  p.beta = static_cast<float>(args.number(12, "beta"));
  Span<float> c = args.floats(13, "c");
  p.ldc = args.integer(14, "ldc");
  p.stride_c = args.integer(15, "strideC");
  p.batch = args.integer(16, "batch");

  // Leading dimensions must cover a stored row; only then is the extent check below meaningful.
  const int64_t a_rows = p.trans_a ? p.k : p.m, a_cols = p.trans_a ? p.m : p.k;
  const int64_t b_rows = p.trans_b ? p.n : p.k, b_cols = p.trans_b ? p.k : p.n;
  if (a_cols > 0 && p.lda < a_cols) args.fail("lda=" + std::to_string(p.lda) + " is smaller than a row of 'a' (" + std::to_string(a_cols) + ")");
  if (b_cols > 0 && p.ldb < b_cols) args.fail("ldb=" + std::to_string(p.ldb) + " is smaller than a row of 'b' (" + std::to_string(b_cols) + ")");
  if (p.n > 0 && p.ldc < p.n) args.fail("ldc=" + std::to_string(p.ldc) + " is smaller than a row of 'c' (" + std::to_string(p.n) + ")");
  if (p.batch == 0 || p.m == 0 || p.n == 0) return info.Env().Undefined();

  const int64_t last = p.batch - 1;
  args.require_size(a, "a", p.k == 0 ? 0 : last * p.stride_a + matrix_extent(a_rows, a_cols, p.lda), dims(p));
  args.require_size(b, "b", p.k == 0 ? 0 : last * p.stride_b + matrix_extent(b_rows, b_cols, p.ldb), dims(p));
  args.require_size(c, "c", last * p.stride_c + matrix_extent(p.m, p.n, p.ldc), dims(p));
  Kernel(p, a.data, b.data, c.data);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(gemm) {
  Export(exports, "gemm", Gemm<cpu::gemm>);
  Export(ref, "gemm", Gemm<ref::gemm>);
}

}  // namespace graft::binding
