// Reference pooling: x (N,C,H,W), y (N,C,P,Q), indices (N,C,P,Q) flat ih*W+iw per plane.
// Direct loops over every window, double accumulation, written to follow PyTorch's CPU kernels.
#include <cmath>
#include <limits>
#include <vector>

#include "graft/pool.h"
#include "graft/runtime.h"

namespace graft::ref {
namespace {

// Avg-pool window along one axis: [lo, hi) clipped to the input, `span` clipped to the padded input.
struct AvgWindow {
  int64_t lo, hi, span;
};
AvgWindow avg_window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t end = std::min(start + kernel, size + pad);
  return {std::max<int64_t>(start, 0), std::min(end, size), end - start};
}

double avg_divisor(const Pool2dParams& p, const AvgWindow& a, const AvgWindow& b) {
  return p.count_include_pad ? static_cast<double>(a.span * b.span)
                             : static_cast<double>((a.hi - a.lo) * (b.hi - b.lo));
}

}  // namespace

void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices) {
  const int64_t P = p.p(), Q = p.q();
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t oh = 0; oh < P; ++oh)
      for (int64_t ow = 0; ow < Q; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t best_index = -1;
        for (int64_t i = 0; i < p.kh; ++i) {
          const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
          if (ih < 0 || ih >= p.h) continue;
          for (int64_t j = 0; j < p.kw; ++j) {
            const int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
            if (iw < 0 || iw >= p.w) continue;
            const float v = x[plane * p.h * p.w + ih * p.w + iw];
            if (best_index < 0 || v > best || std::isnan(v)) best = v, best_index = ih * p.w + iw;
          }
        }
        const int64_t o = (plane * P + oh) * Q + ow;
        y[o] = best;
        indices[o] = static_cast<int32_t>(best_index);
      }
}

void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx) {
  const int64_t PQ = p.p() * p.q(), HW = p.h * p.w;
  for (int64_t o = 0; o < p.n * p.c * PQ; ++o)
    if (indices[o] < -1 || indices[o] >= HW)
      throw Error("maxPool2dBackward: argument 'indices' holds " + std::to_string(indices[o]) + " at " +
                  std::to_string(o) + ", outside the " + std::to_string(p.h) + "x" + std::to_string(p.w) +
                  " input plane (" + p.describe() + ")");
  std::vector<double> acc(static_cast<size_t>(p.x_size()), 0.0);
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t o = 0; o < PQ; ++o) {
      const int32_t index = indices[plane * PQ + o];
      if (index >= 0) acc[static_cast<size_t>(plane * HW + index)] += dy[plane * PQ + o];
    }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y) {
  const int64_t P = p.p(), Q = p.q();
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t oh = 0; oh < P; ++oh) {
      const AvgWindow a = avg_window(oh, p.stride_h, p.pad_h, p.kh, p.h);
      for (int64_t ow = 0; ow < Q; ++ow) {
        const AvgWindow b = avg_window(ow, p.stride_w, p.pad_w, p.kw, p.w);
        double sum = 0.0;
        for (int64_t ih = a.lo; ih < a.hi; ++ih)
          for (int64_t iw = b.lo; iw < b.hi; ++iw) sum += x[(plane * p.h + ih) * p.w + iw];
        const double divisor = avg_divisor(p, a, b);
        y[(plane * P + oh) * Q + ow] = divisor > 0 ? static_cast<float>(sum / divisor) : 0.0f;
      }
    }
}

void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx) {
  const int64_t P = p.p(), Q = p.q();
  std::vector<double> acc(static_cast<size_t>(p.x_size()), 0.0);
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t oh = 0; oh < P; ++oh) {
      const AvgWindow a = avg_window(oh, p.stride_h, p.pad_h, p.kh, p.h);
      for (int64_t ow = 0; ow < Q; ++ow) {
        const AvgWindow b = avg_window(ow, p.stride_w, p.pad_w, p.kw, p.w);
        const double divisor = avg_divisor(p, a, b);
        if (divisor <= 0) continue;
        const double g = dy[(plane * P + oh) * Q + ow] / divisor;
        for (int64_t ih = a.lo; ih < a.hi; ++ih)
          for (int64_t iw = b.lo; iw < b.hi; ++iw) acc[static_cast<size_t>((plane * p.h + ih) * p.w + iw)] += g;
      }
    }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

void adaptive_avg_pool2d_forward(const AdaptivePool2dParams& p, const float* x, float* y) {
  using A = AdaptivePool2dParams;
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t oh = 0; oh < p.p; ++oh)
      for (int64_t ow = 0; ow < p.q; ++ow) {
        const int64_t h0 = A::start(oh, p.h, p.p), h1 = A::end(oh, p.h, p.p);
        const int64_t w0 = A::start(ow, p.w, p.q), w1 = A::end(ow, p.w, p.q);
        double sum = 0.0;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += x[(plane * p.h + ih) * p.w + iw];
        const int64_t count = (h1 - h0) * (w1 - w0);
        y[(plane * p.p + oh) * p.q + ow] = count > 0 ? static_cast<float>(sum / count) : 0.0f;
      }
}

void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx) {
  using A = AdaptivePool2dParams;
  std::vector<double> acc(static_cast<size_t>(p.x_size()), 0.0);
  for (int64_t plane = 0; plane < p.n * p.c; ++plane)
    for (int64_t oh = 0; oh < p.p; ++oh)
      for (int64_t ow = 0; ow < p.q; ++ow) {
        const int64_t h0 = A::start(oh, p.h, p.p), h1 = A::end(oh, p.h, p.p);
        const int64_t w0 = A::start(ow, p.w, p.q), w1 = A::end(ow, p.w, p.q);
        const int64_t count = (h1 - h0) * (w1 - w0);
        if (count == 0) continue;
        const double g = static_cast<double>(dy[(plane * p.p + oh) * p.q + ow]) / count;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) acc[static_cast<size_t>((plane * p.h + ih) * p.w + iw)] += g;
      }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

}  // namespace graft::ref
