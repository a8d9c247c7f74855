// Pieces of the CPU conv2d shared by its files: im2col/col2im over a chunk of the batch, the
// depthwise direct loops, and a scratch buffer. Layout: x (N,C,H,W), w (K,C/G,R,S), y (N,K,P,Q).
#pragma once

#include <algorithm>
#include <cstdint>

#include "graft/conv2d.h"
#include "graft/runtime.h"

namespace graft::cpu::conv2d_detail {

// A float buffer from host_alloc (64-byte aligned, counted in the memory stats), freed on scope exit.
class Scratch {
 public:
  explicit Scratch(int64_t floats)
      : bytes_(static_cast<size_t>(std::max<int64_t>(floats, 1)) * sizeof(float)),
        data_(static_cast<float*>(host_alloc(bytes_))) {}
  ~Scratch() { host_free(data_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* data() const { return data_; }

 private:
  size_t bytes_;
  float* data_;
};

// Output columns [lo, hi) whose input column o*stride - pad + t*dil lies inside [0, size).
struct ValidRange {
  int64_t lo, hi;
};
inline ValidRange valid_outputs(int64_t out, int64_t size, int64_t t, int64_t stride, int64_t pad, int64_t dil) {
  const int64_t offset = t * dil - pad;  // input index = o*stride + offset
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t hi = size - offset <= 0 ? 0 : (size - offset - 1) / stride + 1;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
  return {lo, hi};
}

// The column matrix of images [n0, n0+b) for group g, laid out col[(c*R+r)*S+s][i][p*Q+q]
// (row length b*P*Q), so the rows of all images in the chunk sit side by side.
void im2col(const Conv2dParams& p, const float* x, int64_t n0, int64_t b, int64_t g, float* col);

// The adjoint of im2col: dx planes of images [n0, n0+b), group g, are overwritten with the sum of
// every column entry that reads them. Each plane sums its taps in a fixed order.
void col2im(const Conv2dParams& p, const float* col, int64_t n0, int64_t b, int64_t g, float* dx);

// Depthwise-style convolutions (one input channel per group, C/G == 1) as direct loops.
void depthwise_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);
void depthwise_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void depthwise_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw);

// Direct AVX-512 convolution (conv2d_direct_avx512.cc) for stride-1 layers with Q == W, R*S <= 25,
// planes of at least 16 pixels and at most 2^18 weights. Call only when use_avx512() && direct_conv_applies(p); outputs
// are overwritten (no bias: the caller adds it).
constexpr int kMaxDirectTaps = 25;
bool direct_conv_applies(const Conv2dParams& p);
void direct_conv_forward(const Conv2dParams& p, const float* x, const float* w, float* y);
void direct_conv_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void direct_conv_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw);

// Convolutions of maps no larger than the kernel (H*W <= R*S, groups 1, batch >= 4) as one dense GEMM
// over the batch (conv2d_small_map.cc, any instruction set); outputs overwritten, no bias.
bool small_map_applies(const Conv2dParams& p);
void small_map_forward(const Conv2dParams& p, const float* x, const float* w, float* y);
void small_map_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void small_map_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw);

// Weight gradient of 3x3 convolutions with output rows of >= 4 pixels and <= 128 output channels per
// group, or rows of 2-4 pixels and more channels, AVX-512 (conv2d_wgrad_avx512.cc): call only when
// use_avx512() && fast_wgrad_applies(p); dw is overwritten.
bool fast_wgrad_applies(const Conv2dParams& p);
void fast_wgrad(const Conv2dParams& p, const float* x, const float* dy, float* dw);

}  // namespace graft::cpu::conv2d_detail
