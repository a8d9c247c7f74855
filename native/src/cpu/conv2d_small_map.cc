// Convolutions of tiny feature maps (H*W <= R*S, e.g. 3x3 on 2x2 maps at the end of ResNet-18 on
// 32x32 images) as one dense GEMM over the batch. x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q), groups 1.
//
// The convolution is a linear map from an image's C*H*W inputs to its K*P*Q outputs; its matrix,
// stored output-major,
//   U[(k,p,q)][(c,h,w)] = w[k, c, r, s]  where h = p*sh - ph + r*dh and w = q*sw - pw + s*dw
// (0 when no tap links them) is dense for such maps, and multiplying by it does only the products
// that im2col would not spend on padding (on 2x2 maps 4/9 of a 3x3 kernel's). NCHW rows are already
// the GEMM's operands:
//   forward          yᵀ (KPQ, N)  = U * xᵀ, then transposed into y (N, KPQ)
//   backward_data    dxᵀ (CHW, N) = Uᵀ * dyᵀ, then transposed into dx (N, CHW)
//   backward_weight  G (KPQ, CHW) = dyᵀ * x, then dw[k,c,r,s] = sum of the entries of G that U
//                    takes from w[k,c,r,s], in a fixed order.
// The transposed products put the batch on the GEMM's narrow side: for 64 images of 256x2x2 maps on
// 2 threads, 1.40 ms against 1.62 for y = x Uᵀ (forward) and 1.31 against 1.39 for dx = dy U
// (backward data), best of several noisy runs (native/dev/conv2d, CONV_SET=resnet18).
// Output-major, a row of U is built from one kernel row w[k] (C*R*S contiguous floats) and G's rows
// for one k sit together; input-major, building the matrix walked w along k, C*R*S floats apart,
// which for 256 channels mapped every read to a few cache sets and cost as much as the GEMM.
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

// taps[pq*HW + hw]: the tap linking input pixel hw to output pixel pq, or -1.
std::vector<int64_t> tap_table(const Conv2dParams& p) {
  const int64_t HW = p.h * p.w, PQ = p.p() * p.q();
  std::vector<int64_t> taps(static_cast<size_t>(PQ * HW));
  for (int64_t pq = 0; pq < PQ; ++pq)
    for (int64_t hw = 0; hw < HW; ++hw) taps[pq * HW + hw] = tap_of(p, hw / p.w, hw % p.w, pq / p.q(), pq % p.q());
  return taps;
}

// One row of U: out[c*HW + hw] = kernel[c*RS + tap[hw]], 0 where tap[hw] < 0. kHW > 0 fixes HW at
// compile time (2x2 maps: 4), so the taps stay in registers and the inner loop unrolls.
template <int kHW>
void build_row(const int64_t* tap, const float* kernel, int64_t C, int64_t RS, int64_t HW_rt, float* out) {
  const int64_t HW = kHW > 0 ? kHW : HW_rt;
  for (int64_t c = 0; c < C; ++c, kernel += RS, out += HW)
    for (int64_t hw = 0; hw < HW; ++hw) out[hw] = tap[hw] < 0 ? 0.0f : kernel[tap[hw]];
}

// U (KPQ, CHW) from w (K, C, R*S): row (k, pq) picks, for every c, the HW taps of w[k, c] it uses.
void build_matrix(const Conv2dParams& p, const float* w, float* u) {
  const int64_t HW = p.h * p.w, PQ = p.p() * p.q(), RS = p.r * p.s, CHW = p.c * HW;
  const std::vector<int64_t> taps = tap_table(p);
  parallel_for(0, p.k * PQ, std::max<int64_t>(1, 4096 / CHW), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t k = row / PQ, pq = row % PQ;
      const int64_t* tap = taps.data() + pq * HW;
      const float* kernel = w + k * p.c * RS;
      if (HW == 4) build_row<4>(tap, kernel, p.c, RS, HW, u + row * CHW);
      else build_row<0>(tap, kernel, p.c, RS, HW, u + row * CHW);
    }
  });
}

// dw[k, c] (RS taps, overwritten) from the PQ rows of G for k (`rows`, CHW apart, at channel c): each
// tap sums its entries over (p, q) then (h, w). kHW > 0 fixes HW at compile time, as in build_row.
template <int kHW>
void fold_kernel(const float* rows, int64_t CHW, const int64_t* taps, int64_t PQ, int64_t HW_rt, int64_t RS,
                 float* out) {
  const int64_t HW = kHW > 0 ? kHW : HW_rt;
  for (int64_t t = 0; t < RS; ++t) out[t] = 0.0f;
  for (int64_t pq = 0; pq < PQ; ++pq, rows += CHW, taps += HW)
    for (int64_t hw = 0; hw < HW; ++hw)
      if (taps[hw] >= 0) out[taps[hw]] += rows[hw];
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
  Scratch u(KPQ * CHW), yt(KPQ * p.n);
  build_matrix(p, w, u.data());
  gemm_rows(false, true, KPQ, p.n, CHW, u.data(), CHW, x, CHW, yt.data());  // yᵀ (KPQ, N) = U xᵀ
  parallel_for(0, p.n, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t o = 0; o < KPQ; ++o) y[n * KPQ + o] = yt.data()[o * p.n + n];
  });
}

void small_map_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t CHW = p.c * p.h * p.w, KPQ = p.k * p.p() * p.q();
  Scratch u(KPQ * CHW), dxt(CHW * p.n);
  build_matrix(p, w, u.data());
  gemm_rows(true, true, CHW, p.n, KPQ, u.data(), CHW, dy, KPQ, dxt.data());  // dxᵀ (CHW, N) = Uᵀ dyᵀ
  parallel_for(0, p.n, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t i = 0; i < CHW; ++i) dx[n * CHW + i] = dxt.data()[i * p.n + n];
  });
}

void small_map_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw) {
  const int64_t HW = p.h * p.w, PQ = p.p() * p.q(), RS = p.r * p.s, CHW = p.c * HW, KPQ = p.k * PQ;
  Scratch g(KPQ * CHW);
  gemm_rows(true, false, KPQ, CHW, p.n, dy, KPQ, x, CHW, g.data());
  const std::vector<int64_t> taps = tap_table(p);
  // Fold: for each (k, c), the taps' sums over (p, q) then (h, w), in that order; the PQ rows of G
  // for one k are adjacent.
  parallel_for(0, p.k * p.c, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t kc = lo; kc < hi; ++kc) {
      const float* rows = g.data() + (kc / p.c) * PQ * CHW + (kc % p.c) * HW;
      if (HW == 4) fold_kernel<4>(rows, CHW, taps.data(), PQ, HW, RS, dw + kc * RS);
      else fold_kernel<0>(rows, CHW, taps.data(), PQ, HW, RS, dw + kc * RS);
    }
  });
}

}  // namespace graft::cpu::conv2d_detail
