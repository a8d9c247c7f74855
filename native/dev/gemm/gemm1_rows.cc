// Version 1 (the first src/cpu/gemm.cc): rows of C in parallel, each row accumulates
// alpha*a[i,l]*b[l,:] in float; trans_b copies b to (K,N) first. Kept as the baseline.
#include <algorithm>
#include <vector>

#include "graft/gemm.h"
#include "graft/runtime.h"

namespace graft::dev {

void gemm1_rows(const GemmParams& p, const float* a, const float* b, float* c) {
  if (p.m == 0 || p.n == 0 || p.batch == 0) return;
  std::vector<float> bt;
  for (int64_t batch = 0; batch < p.batch; ++batch) {
    const float* A = a + batch * p.stride_a;
    const float* B = b + batch * p.stride_b;
    float* C = c + batch * p.stride_c;
    int64_t ldb = p.ldb;
    if (p.trans_b) {
      bt.assign(static_cast<size_t>(p.k * p.n), 0.0f);
      for (int64_t j = 0; j < p.n; ++j)
        for (int64_t l = 0; l < p.k; ++l) bt[l * p.n + j] = B[j * p.ldb + l];
      B = bt.data();
      ldb = p.n;
    }
    parallel_for(0, p.m, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, p.n * p.k / 64 + 1)), [&](int64_t lo, int64_t hi) {
      std::vector<float> row(static_cast<size_t>(p.n));
      for (int64_t i = lo; i < hi; ++i) {
        std::fill(row.begin(), row.end(), 0.0f);
        for (int64_t l = 0; l < p.k; ++l) {
          const float av = p.trans_a ? A[l * p.lda + i] : A[i * p.lda + l];
          const float* brow = B + l * ldb;
          for (int64_t j = 0; j < p.n; ++j) row[j] += av * brow[j];
        }
        float* crow = C + i * p.ldc;
        for (int64_t j = 0; j < p.n; ++j)
          crow[j] = p.alpha * row[j] + (p.beta == 0.0f ? 0.0f : p.beta * crow[j]);
      }
    });
  }
}

}  // namespace graft::dev
