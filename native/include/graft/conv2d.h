// 2-D convolution (cross-correlation, as in PyTorch), NCHW, float32, with stride, padding, dilation
// and groups. Layout everywhere:
//   x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q)
// with P = (H + 2*pad_h - dil_h*(R-1) - 1) / stride_h + 1 and Q likewise.
//   forward:          y[n,k,p,q]  = bias[k] + sum_{c,r,s} x[n, g*Cg+c, p*sh-ph+r*dh, q*sw-pw+s*dw] * w[k,c,r,s]
//   backward_data:    dx = the transpose of forward applied to dy (bias ignored)
//   backward_weight:  dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[...], dbias[k] = sum_{n,p,q} dy[n,k,p,q]
// Outputs are overwritten, never accumulated into. Sizes are checked by the caller (the binding).
#pragma once

#include <cstdint>
#include <string>

namespace graft {

struct Conv2dParams {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t k = 0, r = 0, s = 0;         // output channels, kernel height and width
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dil_h = 1, dil_w = 1;
  int64_t groups = 1;

  // Output height and width; 0 when the (dilated) kernel does not fit the padded input.
  int64_t p() const { return out_size(h, r, stride_h, pad_h, dil_h); }
  int64_t q() const { return out_size(w, s, stride_w, pad_w, dil_w); }
  int64_t cg() const { return c / groups; }  // input channels per group
  int64_t kg() const { return k / groups; }  // output channels per group

  int64_t x_size() const { return n * c * h * w; }
  int64_t w_size() const { return k * cg() * r * s; }
  int64_t y_size() const { return n * k * p() * q(); }

  // "n=2, c=3, h=7, w=7, k=4, r=3, s=3, stride=1x1, pad=1x1, dil=1x1, groups=1"
  std::string describe() const {
    auto pair = [](int64_t a, int64_t b) { return std::to_string(a) + "x" + std::to_string(b); };
    return "n=" + std::to_string(n) + ", c=" + std::to_string(c) + ", h=" + std::to_string(h) +
           ", w=" + std::to_string(w) + ", k=" + std::to_string(k) + ", r=" + std::to_string(r) +
           ", s=" + std::to_string(s) + ", stride=" + pair(stride_h, stride_w) + ", pad=" + pair(pad_h, pad_w) +
           ", dil=" + pair(dil_h, dil_w) + ", groups=" + std::to_string(groups);
  }

  static int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
    const int64_t span = in + 2 * pad - dil * (kernel - 1) - 1;
    return span < 0 || stride <= 0 ? 0 : span / stride + 1;
  }
};

namespace ref {
// Direct loops accumulating in double: the reference the fast paths are tested against.
void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);
void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx);
// dbias may be null (no bias gradient wanted).
void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias);
}  // namespace ref

namespace cpu {
// im2col/col2im + cpu::gemm over chunks of the batch; 1x1 stride-1 convolutions skip im2col and
// depthwise convolutions run as direct loops. bias may be null. Results do not depend on the
// thread count: every sum over the batch runs in a fixed order.
void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);
void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias);
}  // namespace cpu

}  // namespace graft
