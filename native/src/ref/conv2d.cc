// Reference conv2d: x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q).
// Direct loops over every tap, double accumulation, no blocking: slow and obviously right.
#include "graft/conv2d.h"

#include <vector>

namespace graft::ref {
namespace {

// Input row (or column) read by output index o and tap t; may fall in the padding (< 0 or >= size).
inline int64_t tap(int64_t o, int64_t t, int64_t stride, int64_t pad, int64_t dil) {
  return o * stride - pad + t * dil;
}

}  // namespace

void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const int64_t P = p.p(), Q = p.q(), Cg = p.cg(), Kg = p.kg();
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t k = 0; k < p.k; ++k) {
      const int64_t g = k / Kg;
      for (int64_t oh = 0; oh < P; ++oh)
        for (int64_t ow = 0; ow < Q; ++ow) {
          double acc = bias ? static_cast<double>(bias[k]) : 0.0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < p.r; ++r) {
              const int64_t ih = tap(oh, r, p.stride_h, p.pad_h, p.dil_h);
              if (ih < 0 || ih >= p.h) continue;
              for (int64_t s = 0; s < p.s; ++s) {
                const int64_t iw = tap(ow, s, p.stride_w, p.pad_w, p.dil_w);
                if (iw < 0 || iw >= p.w) continue;
                const double xv = x[((n * p.c + g * Cg + c) * p.h + ih) * p.w + iw];
                const double wv = w[((k * Cg + c) * p.r + r) * p.s + s];
                acc += xv * wv;
              }
            }
          y[((n * p.k + k) * P + oh) * Q + ow] = static_cast<float>(acc);
        }
    }
}

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t P = p.p(), Q = p.q(), Cg = p.cg(), Kg = p.kg();
  std::vector<double> acc(static_cast<size_t>(p.x_size()), 0.0);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t k = 0; k < p.k; ++k) {
      const int64_t g = k / Kg;
      for (int64_t oh = 0; oh < P; ++oh)
        for (int64_t ow = 0; ow < Q; ++ow) {
          const double g_out = dy[((n * p.k + k) * P + oh) * Q + ow];
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < p.r; ++r) {
              const int64_t ih = tap(oh, r, p.stride_h, p.pad_h, p.dil_h);
              if (ih < 0 || ih >= p.h) continue;
              for (int64_t s = 0; s < p.s; ++s) {
                const int64_t iw = tap(ow, s, p.stride_w, p.pad_w, p.dil_w);
                if (iw < 0 || iw >= p.w) continue;
                acc[((n * p.c + g * Cg + c) * p.h + ih) * p.w + iw] +=
                    g_out * static_cast<double>(w[((k * Cg + c) * p.r + r) * p.s + s]);
              }
            }
        }
    }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias) {
  const int64_t P = p.p(), Q = p.q(), Cg = p.cg(), Kg = p.kg();
  for (int64_t k = 0; k < p.k; ++k) {
    const int64_t g = k / Kg;
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t r = 0; r < p.r; ++r)
        for (int64_t s = 0; s < p.s; ++s) {
          double acc = 0.0;
          for (int64_t n = 0; n < p.n; ++n)
            for (int64_t oh = 0; oh < P; ++oh) {
              const int64_t ih = tap(oh, r, p.stride_h, p.pad_h, p.dil_h);
              if (ih < 0 || ih >= p.h) continue;
              for (int64_t ow = 0; ow < Q; ++ow) {
                const int64_t iw = tap(ow, s, p.stride_w, p.pad_w, p.dil_w);
                if (iw < 0 || iw >= p.w) continue;
                acc += static_cast<double>(dy[((n * p.k + k) * P + oh) * Q + ow]) *
                       static_cast<double>(x[((n * p.c + g * Cg + c) * p.h + ih) * p.w + iw]);
              }
            }
          dw[((k * Cg + c) * p.r + r) * p.s + s] = static_cast<float>(acc);
        }
    if (dbias) {
      double acc = 0.0;
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t i = 0; i < P * Q; ++i) acc += dy[(n * p.k + k) * P * Q + i];
      dbias[k] = static_cast<float>(acc);
    }
  }
}

}  // namespace graft::ref
