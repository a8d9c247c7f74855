// Version 2: parallel over images. Each task im2cols one image into its own buffer and runs a serial
// GEMM (nested parallel_for calls run serially); backward_weight sums per-task partials in task order.
// x (N,C,H,W), w (K,C/G,R,S), y (N,K,P,Q).
#include <vector>

#include "cpu/conv2d_internal.h"
#include "graft/gemm.h"

namespace graft::dev {
using namespace graft::cpu::conv2d_detail;

namespace {
void gemm_one(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c, int64_t ldc, float beta) {
  GemmParams g;
  g.trans_a = ta, g.trans_b = tb, g.m = m, g.n = n, g.k = k, g.lda = lda, g.ldb = ldb, g.ldc = ldc, g.beta = beta;
  cpu::gemm(g, a, b, c);
}
}  // namespace

void conv2_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s;
  parallel_for(0, p.n, 1, [&](int64_t lo, int64_t hi) {
    Scratch col(CRS * PQ);
    for (int64_t i = lo; i < hi; ++i)
      for (int64_t g = 0; g < p.groups; ++g) {
        im2col(p, x, i, 1, g, col.data());
        gemm_one(false, false, Kg, PQ, CRS, w + g * Kg * CRS, CRS, col.data(), PQ, y + (i * p.k + g * Kg) * PQ, PQ, 0.f);
      }
  });
}

void conv2_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s;
  parallel_for(0, p.n, 1, [&](int64_t lo, int64_t hi) {
    Scratch col(CRS * PQ);
    for (int64_t i = lo; i < hi; ++i)
      for (int64_t g = 0; g < p.groups; ++g) {
        gemm_one(true, false, CRS, PQ, Kg, w + g * Kg * CRS, CRS, dy + (i * p.k + g * Kg) * PQ, PQ, col.data(), PQ, 0.f);
        col2im(p, col.data(), i, 1, g, dx);
      }
  });
}

void conv2_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s, WS = p.w_size();
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(p.n, (int64_t(1) << 22) / std::max<int64_t>(1, WS)));
  std::vector<float> partial(static_cast<size_t>(parts * WS));
  parallel_for(0, parts, 1, [&](int64_t lo, int64_t hi) {
    Scratch col(CRS * PQ);
    for (int64_t j = lo; j < hi; ++j) {
      const int64_t n0 = j * p.n / parts, n1 = (j + 1) * p.n / parts;
      for (int64_t i = n0; i < n1; ++i)
        for (int64_t g = 0; g < p.groups; ++g) {
          im2col(p, x, i, 1, g, col.data());
          gemm_one(false, true, Kg, CRS, PQ, dy + (i * p.k + g * Kg) * PQ, PQ, col.data(), PQ,
                   partial.data() + j * WS + g * Kg * CRS, CRS, i == n0 ? 0.f : 1.f);
        }
    }
  });
  parallel_for(0, WS, 4096, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      float acc = partial[e];
      for (int64_t j = 1; j < parts; ++j) acc += partial[j * WS + e];
      dw[e] = acc;
    }
  });
}

}  // namespace graft::dev
