// Reference GEMM: a (M,K) or (K,M), b (K,N) or (N,K), c (M,N); double accumulation, no blocking.
#include "graft/gemm.h"

namespace graft::ref {

void gemm(const GemmParams& p, const float* a, const float* b, float* c) {
  for (int64_t batch = 0; batch < p.batch; ++batch) {
    const float* A = a + batch * p.stride_a;
    const float* B = b + batch * p.stride_b;
    float* C = c + batch * p.stride_c;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        double acc = 0.0;
        for (int64_t l = 0; l < p.k; ++l) {
          const double av = p.trans_a ? A[l * p.lda + i] : A[i * p.lda + l];
          const double bv = p.trans_b ? B[j * p.ldb + l] : B[l * p.ldb + j];
          acc += av * bv;
        }
        const double prior = p.beta == 0.0f ? 0.0 : static_cast<double>(p.beta) * C[i * p.ldc + j];
        C[i * p.ldc + j] = static_cast<float>(static_cast<double>(p.alpha) * acc + prior);
      }
    }
  }
}

}  // namespace graft::ref
