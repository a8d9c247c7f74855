// Convolutions of tiny feature maps (H*W <= R*S, e.g. 3x3 on 2x2 maps at the end of ResNet-18 on
// 32x32 images) as one dense GEMM over the batch. x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q), groups 1.
//
// The convolution is a linear map from an image's C*H*W inputs to its K*P*Q outputs; its matrix
//   T[(c,h,w)][(k,p,q)] = w[k, c, r, s]  where h = p*sh - ph + r*dh and w = q*sw - pw + s*dw
// (0 when no tap links them) is dense for such maps, and multiplying by it does only the products
// that im2col would not spend on padding (on 2x2 maps 4/9 of a 3x3 kernel's). NCHW rows are already
// the GEMM's operands:
//   forward          y (N, KPQ)  = x (N, CHW) * T
//   backward_data    dx (N, CHW) = dy (N, KPQ) * Tᵀ
//   backward_weight  G (CHW, KPQ) = xᵀ * dy, then dw[k,c,r,s] = sum of the entries of G that T
//                    takes from w[k,c,r,s], in a fixed order.
// The GEMMs' sums do not depend on the thread count (gemm.cc), nor does the fold.
#include <cstring>
#include <vector>

#include "cpu/conv2d_internal.h"
#include "graft/gemm.h"

namespace graft::cpu::conv2d_detail {
namespace {

constexpr int64_t kMaxMatrix = int64_t(1) << 22;  // floats of T (16 MiB)

// The tap index r*S + s linking input (h, w) to output (p, q), or -1.
int64_t tap_of(const Conv2dParams& p, int64_t h, int64_t w, int64_t op, int64_t oq) {
  const int64_t dr = h - op * p.stride_h + p.pad_h, ds = w - oq * p.stride_w + p.pad_w;
  if (dr < 0 || ds < 0 || dr % p.dil_h != 0 || ds % p.dil_w != 0) return -1;
  const int64_t r = dr / p.dil_h, s = ds / p.dil_w;
  return r < p.r && s < p.s ? r * p.s + s : -1;
}

// T (CHW, KPQ) from w (K, C, R*S).
void build_matrix(const Conv2dParams& p, const float* w, float* t) {
  const int64_t HW = p.h * p.w, PQ = p.p() * p.q(), RS = p.r * p.s, KPQ = p.k * PQ;
  parallel_for(0, p.c * HW, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t c = row / HW, h = row % HW / p.w, wi = row % p.w;
      float* out = t + row * KPQ;
      for (int64_t pq = 0; pq < PQ; ++pq) {
        const int64_t tap = tap_of(p, h, wi, pq / p.q(), pq % p.q());
        for (int64_t k = 0; k < p.k; ++k) out[k * PQ + pq] = tap < 0 ? 0.0f : w[(k * p.c + c) * RS + tap];
      }
    }
  });
}

void gemm_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
               const float* b, int64_t ldb, float* c) {
  GemmParams g;
  g.trans_a = trans_a, g.trans_b = trans_b;
  g.m = m, g.n = n, g.k = k;
  g.lda = lda, g.ldb = ldb, g.ldc = n;
  gemm(g, a, b, c);
}

}  // namespace

bool small_map_applies(const Conv2dParams& p) {
  const int64_t CHW = p.c * p.h * p.w, KPQ = p.k * p.p() * p.q();
  return p.groups == 1 && p.h * p.w <= p.r * p.s && p.n >= 4 && CHW > 0 && KPQ > 0 && CHW * KPQ <= kMaxMatrix;
}

void small_map_forward(const Conv2dParams& p, const float* x, const float* w, float* y) {
  const int64_t CHW = p.c * p.h * p.w, KPQ = p.k * p.p() * p.q();
  Scratch t(CHW * KPQ);
  build_matrix(p, w, t.data());
  gemm_rows(false, false, p.n, KPQ, CHW, x, CHW, t.data(), KPQ, y);
}

void small_map_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t CHW = p.c * p.h * p.w, KPQ = p.k * p.p() * p.q();
  Scratch t(CHW * KPQ);
  build_matrix(p, w, t.data());
  gemm_rows(false, true, p.n, CHW, KPQ, dy, KPQ, t.data(), KPQ, dx);
}

void small_map_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw) {
  const int64_t HW = p.h * p.w, PQ = p.p() * p.q(), RS = p.r * p.s, CHW = p.c * HW, KPQ = p.k * PQ;
  Scratch g(CHW * KPQ);
  gemm_rows(true, false, CHW, KPQ, p.n, x, CHW, dy, KPQ, g.data());
  std::vector<int64_t> taps(static_cast<size_t>(HW * PQ));  // tap linking (h,w) to (p,q), or -1
  for (int64_t hw = 0; hw < HW; ++hw)
    for (int64_t pq = 0; pq < PQ; ++pq) taps[hw * PQ + pq] = tap_of(p, hw / p.w, hw % p.w, pq / p.q(), pq % p.q());
  // Fold: for each (k, c), the taps' sums over (h, w) then (p, q), in that order.
  parallel_for(0, p.k * p.c, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t kc = lo; kc < hi; ++kc) {
      const int64_t k = kc / p.c, c = kc % p.c;
      float* out = dw + kc * RS;
      std::memset(out, 0, sizeof(float) * RS);
      for (int64_t hw = 0; hw < HW; ++hw) {
        const float* row = g.data() + (c * HW + hw) * KPQ + k * PQ;
        const int64_t* tap = taps.data() + hw * PQ;
        for (int64_t pq = 0; pq < PQ; ++pq)
          if (tap[pq] >= 0) out[tap[pq]] += row[pq];
      }
    }
  });
}

}  // namespace graft::cpu::conv2d_detail
