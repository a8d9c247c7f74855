// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, float32, with strided batches.
//   op(A) is (M,K): A is stored (M,K) with row stride lda, or (K,M) when trans_a.
//   op(B) is (K,N): B is stored (K,N) with row stride ldb, or (N,K) when trans_b.
//   C is (M,N) with row stride ldc. Batch i uses A + i*stride_a, B + i*stride_b, C + i*stride_c.
// As in BLAS, beta == 0 overwrites C without reading it (NaN in C does not leak through).
#pragma once

#include <cstdint>

namespace graft {

struct GemmParams {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  float beta = 0.0f;
  int64_t lda = 0, ldb = 0, ldc = 0;
  int64_t batch = 1;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

namespace ref {
// Naive triple loop accumulating in double: the reference every fast path is tested against.
void gemm(const GemmParams& p, const float* a, const float* b, float* c);
}  // namespace ref

namespace cpu {
// Packed panels and a register micro-kernel (AVX2+FMA where the CPU has it), threaded.
void gemm(const GemmParams& p, const float* a, const float* b, float* c);
}  // namespace cpu

}  // namespace graft
