// cudaGemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch,
//          precision): gemm's arguments (binding/gemm.cc) over device buffers, plus 'float32'|'tf32'|'bf16'.
#include "binding/cuda_buffer.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

std::string dims(const GemmParams& p) {
  return "m=" + std::to_string(p.m) + ", n=" + std::to_string(p.n) + ", k=" + std::to_string(p.k) +
         ", batch=" + std::to_string(p.batch);
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args args(info, "cudaGemm");
  args.expect_count(17);
  GemmParams p;
  p.trans_a = args.boolean(0, "transA");
  p.trans_b = args.boolean(1, "transB");
  p.m = args.integer(2, "m");
  p.n = args.integer(3, "n");
  p.k = args.integer(4, "k");
  p.alpha = static_cast<float>(args.number(5, "alpha"));
  DeviceFloats a = device_floats(info, args, 6, "a");
  p.lda = args.integer(7, "lda");
  p.stride_a = args.integer(8, "strideA");
  DeviceFloats b = device_floats(info, args, 9, "b");
  p.ldb = args.integer(10, "ldb");
  p.stride_b = args.integer(11, "strideB");
  p.beta = static_cast<float>(args.number(12, "beta"));
  DeviceFloats c = device_floats(info, args, 13, "c");
  p.ldc = args.integer(14, "ldc");
  p.stride_c = args.integer(15, "strideC");
  p.batch = args.integer(16, "batch");
  const cuda::Precision precision = precision_arg(args, 17);
  require_same_device(args, {{"c", c}, {"a", a}, {"b", b}});

  const int64_t a_rows = p.trans_a ? p.k : p.m, a_cols = p.trans_a ? p.m : p.k;
  const int64_t b_rows = p.trans_b ? p.n : p.k, b_cols = p.trans_b ? p.k : p.n;
  if (a_cols > 0 && p.lda < a_cols) args.fail("lda=" + std::to_string(p.lda) + " is smaller than a row of 'a' (" + std::to_string(a_cols) + ")");
  if (b_cols > 0 && p.ldb < b_cols) args.fail("ldb=" + std::to_string(p.ldb) + " is smaller than a row of 'b' (" + std::to_string(b_cols) + ")");
  if (p.n > 0 && p.ldc < p.n) args.fail("ldc=" + std::to_string(p.ldc) + " is smaller than a row of 'c' (" + std::to_string(p.n) + ")");
  if (p.batch == 0 || p.m == 0 || p.n == 0) return info.Env().Undefined();

  const int64_t last = p.batch - 1;
  require_device_size(args, a, "a", p.k == 0 ? 0 : strided_extent(last, p.stride_a, a_rows, a_cols, p.lda), dims(p));
  require_device_size(args, b, "b", p.k == 0 ? 0 : strided_extent(last, p.stride_b, b_rows, b_cols, p.ldb), dims(p));
  require_device_size(args, c, "c", strided_extent(last, p.stride_c, p.m, p.n, p.ldc), dims(p));
  cuda::gemm(p, a.data, b.data, c.data, precision, c.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_gemm) { Export(exports, "cudaGemm", Gemm); }

}  // namespace graft::binding
