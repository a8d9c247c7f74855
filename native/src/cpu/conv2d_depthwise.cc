// Depthwise conv2d as direct loops (C/G == 1: each output channel k reads input channel k / (K/G)).
// x (N,C,H,W), w (K,1,R,S), y (N,K,P,Q). im2col would copy every input value R*S times for a GEMM
// of depth R*S; sliding the input rows directly is cheaper. Every plane is owned by one task and
// sums its taps in a fixed order, so results do not depend on the thread count.
#include <vector>

#include "cpu/conv2d_internal.h"

namespace graft::cpu::conv2d_detail {

void depthwise_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const int64_t P = p.p(), Q = p.q(), Kg = p.kg(), RS = p.r * p.s;
  parallel_for(0, p.n * p.k, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      const int64_t n = plane / p.k, k = plane % p.k;
      const float* xp = x + (n * p.c + k / Kg) * p.h * p.w;
      const float* wk = w + k * RS;
      float* yp = y + plane * P * Q;
      std::fill(yp, yp + P * Q, bias ? bias[k] : 0.0f);
      for (int64_t oh = 0; oh < P; ++oh) {
        float* yrow = yp + oh * Q;
        for (int64_t r = 0; r < p.r; ++r) {
          const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
          if (ih < 0 || ih >= p.h) continue;
          const float* xrow = xp + ih * p.w;
          for (int64_t s = 0; s < p.s; ++s) {
            const float wv = wk[r * p.s + s];
            const int64_t off = s * p.dil_w - p.pad_w;
            const ValidRange v = valid_outputs(Q, p.w, s, p.stride_w, p.pad_w, p.dil_w);
            if (p.stride_w == 1) {
              for (int64_t q = v.lo; q < v.hi; ++q) yrow[q] += wv * xrow[q + off];
            } else {
              for (int64_t q = v.lo; q < v.hi; ++q) yrow[q] += wv * xrow[q * p.stride_w + off];
            }
          }
        }
      }
    }
  });
}

void depthwise_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t P = p.p(), Q = p.q(), Kg = p.kg(), RS = p.r * p.s, HW = p.h * p.w;
  parallel_for(0, p.n * p.c, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      const int64_t n = plane / p.c, c = plane % p.c;
      float* dxp = dx + plane * HW;
      std::fill(dxp, dxp + HW, 0.0f);
      for (int64_t k = c * Kg; k < (c + 1) * Kg; ++k) {
        const float* dyp = dy + (n * p.k + k) * P * Q;
        const float* wk = w + k * RS;
        for (int64_t oh = 0; oh < P; ++oh) {
          const float* dyrow = dyp + oh * Q;
          for (int64_t r = 0; r < p.r; ++r) {
            const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
            if (ih < 0 || ih >= p.h) continue;
            float* dxrow = dxp + ih * p.w;
            for (int64_t s = 0; s < p.s; ++s) {
              const float wv = wk[r * p.s + s];
              const int64_t off = s * p.dil_w - p.pad_w;
              const ValidRange v = valid_outputs(Q, p.w, s, p.stride_w, p.pad_w, p.dil_w);
              if (p.stride_w == 1) {
                for (int64_t q = v.lo; q < v.hi; ++q) dxrow[q + off] += wv * dyrow[q];
              } else {
                for (int64_t q = v.lo; q < v.hi; ++q) dxrow[q * p.stride_w + off] += wv * dyrow[q];
              }
            }
          }
        }
      }
    }
  });
}

void depthwise_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw) {
  const int64_t P = p.p(), Q = p.q(), Kg = p.kg(), RS = p.r * p.s;
  parallel_for(0, p.k, 1, [&](int64_t lo, int64_t hi) {
    std::vector<double> acc(static_cast<size_t>(RS));
    for (int64_t k = lo; k < hi; ++k) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t n = 0; n < p.n; ++n) {
        const float* xp = x + (n * p.c + k / Kg) * p.h * p.w;
        const float* dyp = dy + (n * p.k + k) * P * Q;
        for (int64_t oh = 0; oh < P; ++oh) {
          const float* dyrow = dyp + oh * Q;
          for (int64_t r = 0; r < p.r; ++r) {
            const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
            if (ih < 0 || ih >= p.h) continue;
            const float* xrow = xp + ih * p.w;
            for (int64_t s = 0; s < p.s; ++s) {
              const int64_t off = s * p.dil_w - p.pad_w;
              const ValidRange v = valid_outputs(Q, p.w, s, p.stride_w, p.pad_w, p.dil_w);
              float dot = 0.0f;  // one output row in float, rows summed in double
              for (int64_t q = v.lo; q < v.hi; ++q) dot += dyrow[q] * xrow[q * p.stride_w + off];
              acc[static_cast<size_t>(r * p.s + s)] += dot;
            }
          }
        }
      }
      for (int64_t t = 0; t < RS; ++t) dw[k * RS + t] = static_cast<float>(acc[static_cast<size_t>(t)]);
    }
  });
}

}  // namespace graft::cpu::conv2d_detail
