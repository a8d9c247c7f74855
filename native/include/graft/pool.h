// 2-D pooling, NCHW float32, with PyTorch's semantics. Layout everywhere:
//   x (N,C,H,W), y (N,C,P,Q), indices (N,C,P,Q) int32: the argmax of each max-pool window as a flat
//   index ih*W + iw into its own input plane (as PyTorch's max_pool2d_with_indices).
// Window of output (p,q): rows p*stride_h - pad_h + i*dil_h for i < kh (columns likewise);
//   P = floor_or_ceil((H + 2*pad_h - dil_h*(kh-1) - 1) / stride_h) + 1, and in ceil mode the last
//   window must start inside the input or the left padding (PyTorch's pooling_output_shape).
// Max pool: NaN wins (as PyTorch); a window that holds no input element (possible only with large
//   dilation) yields -inf and index -1, which backward skips.
// Avg pool (dilation 1): the divisor counts the window clipped to the padded input when
//   count_include_pad, else only the input elements in it (as PyTorch's avg_pool2d).
// Adaptive avg pool: window rows [floor(p*H/P), ceil((p+1)*H/P)), columns likewise.
// Backward kernels overwrite dx. Sizes are checked by the caller (the binding).
#pragma once

#include <cstdint>
#include <string>

namespace graft {

struct Pool2dParams {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dil_h = 1, dil_w = 1;  // max pool only
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg pool only

  int64_t p() const { return out_size(h, kh, stride_h, pad_h, dil_h, ceil_mode); }
  int64_t q() const { return out_size(w, kw, stride_w, pad_w, dil_w, ceil_mode); }
  int64_t x_size() const { return n * c * h * w; }
  int64_t y_size() const { return n * c * p() * q(); }

  std::string describe() const {
    auto pair = [](int64_t a, int64_t b) { return std::to_string(a) + "x" + std::to_string(b); };
    return "n=" + std::to_string(n) + ", c=" + std::to_string(c) + ", h=" + std::to_string(h) + ", w=" +
           std::to_string(w) + ", kernel=" + pair(kh, kw) + ", stride=" + pair(stride_h, stride_w) +
           ", pad=" + pair(pad_h, pad_w) + ", dil=" + pair(dil_h, dil_w) + (ceil_mode ? ", ceil" : "");
  }

  // PyTorch's pooling_output_shape; may be <= 0 when the window does not fit.
  static int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dil, bool ceil) {
    if (stride <= 0) return 0;
    const int64_t span = in + 2 * pad - dil * (kernel - 1) - 1 + (ceil ? stride - 1 : 0);
    const int64_t floor_div = span >= 0 ? span / stride : -((-span + stride - 1) / stride);
    int64_t out = floor_div + 1;
    if (ceil && (out - 1) * stride >= in + pad) --out;
    return out;
  }
};

// Adaptive pooling maps (H,W) onto a chosen (P,Q).
struct AdaptivePool2dParams {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t p = 1, q = 1;
  int64_t x_size() const { return n * c * h * w; }
  int64_t y_size() const { return n * c * p * q; }
  static int64_t start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
  static int64_t end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }
  std::string describe() const {
    return "n=" + std::to_string(n) + ", c=" + std::to_string(c) + ", h=" + std::to_string(h) + ", w=" +
           std::to_string(w) + ", output=" + std::to_string(p) + "x" + std::to_string(q);
  }
};

namespace ref {
// Direct loops, double accumulation: the references the fast paths are tested against.
void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices);
void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx);
void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y);
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx);
void adaptive_avg_pool2d_forward(const AdaptivePool2dParams& p, const float* x, float* y);
void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx);
}  // namespace ref

namespace cpu {
// Threaded over (n,c) planes; each plane is summed in a fixed order, so results do not depend on
// the thread count. The 1x1 adaptive pool (global average pooling) has its own vectorised path.
// max_pool2d_backward throws graft::Error, before writing dx, when an index lies outside its plane.
void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices);
void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx);
void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y);
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx);
void adaptive_avg_pool2d_forward(const AdaptivePool2dParams& p, const float* x, float* y);
void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx);
}  // namespace cpu

}  // namespace graft
