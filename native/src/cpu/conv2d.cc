// CPU conv2d: x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q).
// General case: for a chunk of b images and group g, im2col builds col (Cg*R*S, b*P*Q) and
//   forward          y_i     = w_g (Kg, CgRS) * col_i (CgRS, PQ)               (b GEMMs, one call)
//   backward_data    col_i   = w_gᵀ (CgRS, Kg) * dy_i (Kg, PQ), then col2im
//   backward_weight  dw_g   += dy_cat (Kg, b*PQ) * colᵀ (b*PQ, CgRS)           (one deep GEMM)
// The chunk holds as many images as fit a fixed scratch budget, so memory stays bounded; the budget,
// not the thread count, fixes the chunks, and backward_weight adds chunk after chunk in batch order,
// so results do not depend on the thread count. Threads work inside im2col/col2im and the GEMM.
// Special cases: 1x1 stride-1 unpadded convolutions read x (write dx) directly as the GEMM operand;
// depthwise convolutions (C/G == 1, G > 1) run as direct loops (conv2d_depthwise.cc).
#include <cstring>
#include <vector>

#include "cpu/conv2d_internal.h"
#include "graft/gemm.h"

namespace graft::cpu {
using namespace conv2d_detail;

namespace {

constexpr int64_t kColumnBudget = int64_t(1) << 22;  // floats of column matrix per chunk (16 MiB)

bool is_pointwise(const Conv2dParams& p) {
  return p.r == 1 && p.s == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
}
bool is_depthwise(const Conv2dParams& p) { return p.groups > 1 && p.cg() == 1; }

// Images per chunk: enough to fill the budget, at least one.
int64_t chunk_images(const Conv2dParams& p) {
  const int64_t per_image = p.cg() * p.r * p.s * p.p() * p.q();
  return std::max<int64_t>(1, std::min<int64_t>(p.n, kColumnBudget / std::max<int64_t>(1, per_image)));
}

// Batched GEMM over `batch` images: C_i = op(A) * B_i, A shared by every image.
void gemm_images(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* b, int64_t ldb, int64_t stride_b, float* c, int64_t ldc, int64_t stride_c,
                 int64_t batch) {
  GemmParams g;
  g.trans_a = trans_a;
  g.m = m, g.n = n, g.k = k;
  g.lda = lda, g.ldb = ldb, g.ldc = ldc;
  g.batch = batch;
  g.stride_a = 0, g.stride_b = stride_b, g.stride_c = stride_c;
  gemm(g, a, b, c);
}

void fill(float* data, int64_t count, float value) {
  parallel_for(0, count, 1 << 16, [&](int64_t lo, int64_t hi) { std::fill(data + lo, data + hi, value); });
}

void add_bias(const Conv2dParams& p, const float* bias, float* y) {
  const int64_t PQ = p.p() * p.q();
  parallel_for(0, p.n * p.k, std::max<int64_t>(1, 4096 / PQ), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      const float value = bias[plane % p.k];
      float* row = y + plane * PQ;
      for (int64_t i = 0; i < PQ; ++i) row[i] += value;
    }
  });
}

// dy of images [n0, n0+b), group g, gathered into (Kg, b*PQ) so the batch is one GEMM depth.
void gather_dy(const Conv2dParams& p, const float* dy, int64_t n0, int64_t b, int64_t g, float* out) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg();
  parallel_for(0, Kg * b, std::max<int64_t>(1, 16384 / PQ), [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t k = task / b, i = task % b;
      std::memcpy(out + (k * b + i) * PQ, dy + ((n0 + i) * p.k + g * Kg + k) * PQ,
                  static_cast<size_t>(PQ) * sizeof(float));
    }
  });
}

// dbias[k] = sum over images (in order) and positions, in double.
void bias_gradient(const Conv2dParams& p, const float* dy, float* dbias) {
  const int64_t PQ = p.p() * p.q();
  parallel_for(0, p.k, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      double acc = 0.0;
      for (int64_t n = 0; n < p.n; ++n) {
        const float* row = dy + (n * p.k + k) * PQ;
        float partial = 0.0f;  // one plane in float, planes summed in double
        for (int64_t i = 0; i < PQ; ++i) partial += row[i];
        acc += partial;
      }
      dbias[k] = static_cast<float>(acc);
    }
  });
}

}  // namespace

void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const int64_t PQ = p.p() * p.q(), Cg = p.cg(), Kg = p.kg(), CRS = Cg * p.r * p.s, HW = p.h * p.w;
  if (p.n == 0 || p.k == 0 || PQ == 0) return;
  if (is_depthwise(p)) return depthwise_forward(p, x, w, bias, y);
  if (CRS == 0) {
    fill(y, p.y_size(), 0.0f);  // no input channels: the sum is empty
  } else if (is_pointwise(p)) {
    for (int64_t g = 0; g < p.groups; ++g)
      gemm_images(false, Kg, PQ, Cg, w + g * Kg * Cg, Cg, x + g * Cg * HW, HW, p.c * HW, y + g * Kg * PQ, PQ,
                  p.k * PQ, p.n);
  } else {
    const int64_t b_max = chunk_images(p);
    Scratch col(CRS * b_max * PQ);
    for (int64_t n0 = 0; n0 < p.n; n0 += b_max) {
      const int64_t b = std::min(b_max, p.n - n0);
      for (int64_t g = 0; g < p.groups; ++g) {
        im2col(p, x, n0, b, g, col.data());
        gemm_images(false, Kg, PQ, CRS, w + g * Kg * CRS, CRS, col.data(), b * PQ, PQ,
                    y + (n0 * p.k + g * Kg) * PQ, PQ, p.k * PQ, b);
      }
    }
  }
  if (bias) add_bias(p, bias, y);
}

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t PQ = p.p() * p.q(), Cg = p.cg(), Kg = p.kg(), CRS = Cg * p.r * p.s, HW = p.h * p.w;
  if (p.x_size() == 0) return;
  if (Kg == 0 || PQ == 0) return fill(dx, p.x_size(), 0.0f);
  if (is_depthwise(p)) return depthwise_backward_data(p, dy, w, dx);
  if (is_pointwise(p)) {
    for (int64_t g = 0; g < p.groups; ++g)
      gemm_images(true, Cg, HW, Kg, w + g * Kg * Cg, Cg, dy + g * Kg * PQ, PQ, p.k * PQ, dx + g * Cg * HW, HW,
                  p.c * HW, p.n);
    return;
  }
  const int64_t b_max = chunk_images(p);
  Scratch col(CRS * b_max * PQ);
  for (int64_t n0 = 0; n0 < p.n; n0 += b_max) {
    const int64_t b = std::min(b_max, p.n - n0);
    for (int64_t g = 0; g < p.groups; ++g) {
      gemm_images(true, CRS, PQ, Kg, w + g * Kg * CRS, CRS, dy + (n0 * p.k + g * Kg) * PQ, PQ, p.k * PQ,
                  col.data(), b * PQ, PQ, b);
      col2im(p, col.data(), n0, b, g, dx);
    }
  }
}

void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s;
  if (dbias) {
    if (p.n == 0 || PQ == 0) fill(dbias, p.k, 0.0f);
    else bias_gradient(p, dy, dbias);
  }
  if (p.w_size() == 0) return;
  if (p.n == 0 || PQ == 0) return fill(dw, p.w_size(), 0.0f);
  if (is_depthwise(p)) return depthwise_backward_weight(p, x, dy, dw);
  const int64_t b_max = chunk_images(p);
  Scratch col(CRS * b_max * PQ);
  Scratch dy_cat(Kg * b_max * PQ);
  for (int64_t n0 = 0; n0 < p.n; n0 += b_max) {
    const int64_t b = std::min(b_max, p.n - n0);
    for (int64_t g = 0; g < p.groups; ++g) {
      im2col(p, x, n0, b, g, col.data());
      gather_dy(p, dy, n0, b, g, dy_cat.data());
      GemmParams gp;  // dw_g (Kg, CRS) (+)= dy_cat (Kg, b*PQ) * col (CRS, b*PQ)ᵀ
      gp.trans_b = true;
      gp.m = Kg, gp.n = CRS, gp.k = b * PQ;
      gp.lda = b * PQ, gp.ldb = b * PQ, gp.ldc = CRS;
      gp.beta = n0 == 0 ? 0.0f : 1.0f;
      gemm(gp, dy_cat.data(), col.data(), dw + g * Kg * CRS);
    }
  }
}

}  // namespace graft::cpu
