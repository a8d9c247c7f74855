// CPU pooling: x (N,C,H,W), y (N,C,P,Q), indices (N,C,P,Q) flat ih*W+iw per plane.
// One task per (n,c) plane: a plane's outputs (or, backward, its dx) are written by one thread in a
// fixed order, so results do not depend on the thread count. Sums are float, per window.
#include <algorithm>
#include <cmath>
#include <limits>

#include "graft/pool.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

// Runs fn(plane) over every (n,c) plane, in chunks of about 16K input elements.
template <typename Fn>
void for_planes(int64_t planes, int64_t plane_size, Fn fn) {
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_size)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t plane = lo; plane < hi; ++plane) fn(plane);
               });
}

struct AvgWindow {
  int64_t lo, hi, span;
};
inline AvgWindow avg_window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t end = std::min(start + kernel, size + pad);
  return {std::max<int64_t>(start, 0), std::min(end, size), end - start};
}

inline float avg_divisor(const Pool2dParams& p, const AvgWindow& a, const AvgWindow& b) {
  return static_cast<float>(p.count_include_pad ? a.span * b.span : (a.hi - a.lo) * (b.hi - b.lo));
}

// Sum of n floats in 8 interleaved partial sums (vectorisable), combined in a fixed order.
inline float sum_floats(const float* v, int64_t n) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lanes[l] += v[i + l];
  for (; i < n; ++i) lanes[i % 8] += v[i];
  return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

}  // namespace

void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices) {
  const int64_t P = p.p(), Q = p.q(), HW = p.h * p.w;
  for_planes(p.n * p.c, HW, [&](int64_t plane) {
    const float* xp = x + plane * HW;
    float* yp = y + plane * P * Q;
    int32_t* ip = indices + plane * P * Q;
    for (int64_t oh = 0; oh < P; ++oh)
      for (int64_t ow = 0; ow < Q; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t best_index = -1;
        for (int64_t i = 0; i < p.kh; ++i) {
          const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
          if (ih < 0 || ih >= p.h) continue;
          const int64_t w0 = ow * p.stride_w - p.pad_w;
          for (int64_t j = 0; j < p.kw; ++j) {
            const int64_t iw = w0 + j * p.dil_w;
            if (iw < 0 || iw >= p.w) continue;
            const float v = xp[ih * p.w + iw];
            if (best_index < 0 || v > best || std::isnan(v)) best = v, best_index = ih * p.w + iw;
          }
        }
        yp[oh * Q + ow] = best;
        ip[oh * Q + ow] = static_cast<int32_t>(best_index);
      }
  });
}

void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx) {
  const int64_t PQ = p.p() * p.q(), HW = p.h * p.w, total = p.n * p.c * PQ;
  // Check every index before writing anything, so bad indices leave dx untouched.
  for (int64_t o = 0; o < total; ++o)
    if (indices[o] < -1 || indices[o] >= HW)
      throw Error("maxPool2dBackward: argument 'indices' holds " + std::to_string(indices[o]) + " at " +
                  std::to_string(o) + ", outside the " + std::to_string(p.h) + "x" + std::to_string(p.w) +
                  " input plane (" + p.describe() + ")");
  for_planes(p.n * p.c, HW, [&](int64_t plane) {
    float* dxp = dx + plane * HW;
    const float* dyp = dy + plane * PQ;
    const int32_t* ip = indices + plane * PQ;
    std::fill(dxp, dxp + HW, 0.0f);
    for (int64_t o = 0; o < PQ; ++o)
      if (ip[o] >= 0) dxp[ip[o]] += dyp[o];
  });
}

void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y) {
  const int64_t P = p.p(), Q = p.q(), HW = p.h * p.w;
  for_planes(p.n * p.c, HW, [&](int64_t plane) {
    const float* xp = x + plane * HW;
    float* yp = y + plane * P * Q;
    for (int64_t oh = 0; oh < P; ++oh) {
      const AvgWindow a = avg_window(oh, p.stride_h, p.pad_h, p.kh, p.h);
      for (int64_t ow = 0; ow < Q; ++ow) {
        const AvgWindow b = avg_window(ow, p.stride_w, p.pad_w, p.kw, p.w);
        float sum = 0.0f;
        for (int64_t ih = a.lo; ih < a.hi; ++ih)
          for (int64_t iw = b.lo; iw < b.hi; ++iw) sum += xp[ih * p.w + iw];
        const float divisor = avg_divisor(p, a, b);
        yp[oh * Q + ow] = divisor > 0 ? sum / divisor : 0.0f;
      }
    }
  });
}

void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx) {
  const int64_t P = p.p(), Q = p.q(), HW = p.h * p.w;
  for_planes(p.n * p.c, HW, [&](int64_t plane) {
    const float* dyp = dy + plane * P * Q;
    float* dxp = dx + plane * HW;
    std::fill(dxp, dxp + HW, 0.0f);
    for (int64_t oh = 0; oh < P; ++oh) {
      const AvgWindow a = avg_window(oh, p.stride_h, p.pad_h, p.kh, p.h);
      for (int64_t ow = 0; ow < Q; ++ow) {
        const AvgWindow b = avg_window(ow, p.stride_w, p.pad_w, p.kw, p.w);
        const float divisor = avg_divisor(p, a, b);
        if (!(divisor > 0)) continue;
        const float g = dyp[oh * Q + ow] / divisor;
        for (int64_t ih = a.lo; ih < a.hi; ++ih)
          for (int64_t iw = b.lo; iw < b.hi; ++iw) dxp[ih * p.w + iw] += g;
      }
    }
  });
}

void adaptive_avg_pool2d_forward(const AdaptivePool2dParams& p, const float* x, float* y) {
  using A = AdaptivePool2dParams;
  const int64_t HW = p.h * p.w;
  if (p.p == 1 && p.q == 1) {  // global average pooling: one contiguous plane per output
    for_planes(p.n * p.c, HW, [&](int64_t plane) {
      y[plane] = HW > 0 ? sum_floats(x + plane * HW, HW) / static_cast<float>(HW) : 0.0f;
    });
    return;
  }
  for_planes(p.n * p.c, HW, [&](int64_t plane) {
    const float* xp = x + plane * HW;
    float* yp = y + plane * p.p * p.q;
    for (int64_t oh = 0; oh < p.p; ++oh) {
      const int64_t h0 = A::start(oh, p.h, p.p), h1 = A::end(oh, p.h, p.p);
      for (int64_t ow = 0; ow < p.q; ++ow) {
        const int64_t w0 = A::start(ow, p.w, p.q), w1 = A::end(ow, p.w, p.q);
        float sum = 0.0f;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += xp[ih * p.w + iw];
        const int64_t count = (h1 - h0) * (w1 - w0);
        yp[oh * p.q + ow] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
    }
  });
}

void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx) {
  using A = AdaptivePool2dParams;
  const int64_t HW = p.h * p.w;
  if (p.p == 1 && p.q == 1) {  // global average pooling: every input gets dy / (H*W)
    for_planes(p.n * p.c, HW, [&](int64_t plane) {
      std::fill(dx + plane * HW, dx + (plane + 1) * HW, dy[plane] / static_cast<float>(HW));
    });
    return;
  }
  for_planes(p.n * p.c, HW, [&](int64_t plane) {
    const float* dyp = dy + plane * p.p * p.q;
    float* dxp = dx + plane * HW;
    std::fill(dxp, dxp + HW, 0.0f);
    for (int64_t oh = 0; oh < p.p; ++oh) {
      const int64_t h0 = A::start(oh, p.h, p.p), h1 = A::end(oh, p.h, p.p);
      for (int64_t ow = 0; ow < p.q; ++ow) {
        const int64_t w0 = A::start(ow, p.w, p.q), w1 = A::end(ow, p.w, p.q);
        const int64_t count = (h1 - h0) * (w1 - w0);
        if (count == 0) continue;
        const float g = dyp[oh * p.q + ow] / static_cast<float>(count);
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * p.w + iw] += g;
      }
    }
  });
}

}  // namespace graft::cpu
