// CPU pooling: x (N,C,H,W), y (N,C,P,Q), indices (N,C,P,Q) flat ih*W+iw per plane.
// One task per (n,c) plane: a plane's outputs (or, backward, its dx) are written by one thread in a
// fixed order, so results do not depend on the thread count. Sums are float, per window.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "graft/pool.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace pool_detail {
// pool_avx512.cc: max_row's result for output rows [oh, oh + rows) from the padded plane, 16 outputs
// per vector (use_avx512() only).
void max_rows_avx512(const Pool2dParams& p, const float* pad, int64_t cols, int64_t oh, int64_t rows, float* yrow,
                     int32_t* irow);
}  // namespace pool_detail

namespace {

// Planes per parallel chunk: about 16K input elements.
int64_t plane_grain(int64_t plane_size) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_size)); }

// Runs fn(plane) over every (n,c) plane, in chunks of plane_grain planes.
template <typename Fn>
void for_planes(int64_t planes, int64_t plane_size, Fn fn) {
  parallel_for(0, planes, plane_grain(plane_size),
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

// Taps [lo, hi) of one window axis that read inside the input: o*stride - pad + t*dil in [0, size).
struct TapRange {
  int64_t lo, hi;
};
inline TapRange tap_range(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t lo = start >= 0 ? 0 : std::min(kernel, (-start + dil - 1) / dil);
  const int64_t hi = start >= size ? 0 : std::min(kernel, (size - 1 - start) / dil + 1);
  return {lo, std::max(lo, hi)};
}

// One step of the running maximum: a larger value or a NaN takes the place, so ties keep the first
// tap in scan order and the last NaN wins, as in PyTorch.
inline void take_max(float v, int64_t index, float& best, int64_t& best_index) {
  const bool take = v > best || v != v;
  best = take ? v : best;
  best_index = take ? index : best_index;
}

// One output of max pooling: the maximum over the window's taps inside the input, in scan order, and
// its index; -inf and -1 when the window reads padding only.
inline void max_window(const Pool2dParams& p, const float* xp, int64_t oh, int64_t ow, TapRange rows, TapRange cols,
                       float& out, int32_t& out_index) {
  float best = -std::numeric_limits<float>::infinity();
  int64_t best_index = -1;
  if (rows.lo < rows.hi && cols.lo < cols.hi) {
    const int64_t ih0 = oh * p.stride_h - p.pad_h, iw0 = ow * p.stride_w - p.pad_w;
    best_index = (ih0 + rows.lo * p.dil_h) * p.w + iw0 + cols.lo * p.dil_w;  // the first tap read
    best = xp[best_index];
    for (int64_t i = rows.lo; i < rows.hi; ++i) {
      const int64_t row = (ih0 + i * p.dil_h) * p.w + iw0;
      for (int64_t j = cols.lo; j < cols.hi; ++j) take_max(xp[row + j * p.dil_w], row + j * p.dil_w, best, best_index);
    }
  }
  out = best;
  out_index = static_cast<int32_t>(best_index);
}

// A plane copied into a (rows, cols) buffer that is -inf wherever a window reads padding, so every
// window lies inside it: rows = (P-1)*sh + (kh-1)*dh + 1, cols likewise. The input lands in the same
// cells for every plane, so the -inf border is written once per buffer (clear) and each plane only
// copies its rows in (fill).
struct PaddedPlane {
  int64_t rows, cols;
  explicit PaddedPlane(const Pool2dParams& p)
      : rows((p.p() - 1) * p.stride_h + (p.kh - 1) * p.dil_h + 1),
        cols((p.q() - 1) * p.stride_w + (p.kw - 1) * p.dil_w + 1) {}
  void clear(float* pad) const { std::fill(pad, pad + rows * cols, -std::numeric_limits<float>::infinity()); }
  void fill(const Pool2dParams& p, const float* xp, float* pad) const {
    const int64_t first = std::min(p.pad_w, cols), copied = std::max<int64_t>(0, std::min(p.w, cols - first));
    for (int64_t ih = 0; ih < std::min(p.h, rows - p.pad_h); ++ih)
      for (int64_t iw = 0; iw < copied; ++iw) pad[(ih + p.pad_h) * cols + first + iw] = xp[ih * p.w + iw];
  }
};

// One output row of max pooling from the padded plane, tap by tap across the row so the compiler
// vectorises over outputs with selects instead of branches (taking each output's window in turn,
// the branch on random data missed about half the time: 5 ms for ResNet-18's 64x64x16x16 stem
// pool at batch 64; pool_avx512.cc does the same 16 outputs per vector). kStride: the column stride
// when it is 1 or 2, else 0 for p.stride_w.
// Starting from -inf with index -1, a padding tap (-inf) is never taken; a window whose inputs are
// all -inf keeps -1 and is redone by max_window.
template <int kStride>
void max_row(const Pool2dParams& p, const PaddedPlane& g, const float* pad, int64_t oh, float* yrow, int32_t* irow) {
  const int64_t sw = kStride ? kStride : p.stride_w, Q = p.q();
  for (int64_t ow = 0; ow < Q; ++ow) yrow[ow] = -std::numeric_limits<float>::infinity(), irow[ow] = -1;
  for (int64_t i = 0; i < p.kh; ++i)
    for (int64_t j = 0; j < p.kw; ++j) {
      const int64_t row = oh * p.stride_h + i * p.dil_h;  // in the padded plane
      const float* src = pad + row * g.cols + j * p.dil_w;
      const int32_t base = static_cast<int32_t>((row - p.pad_h) * p.w + j * p.dil_w - p.pad_w);
      for (int64_t ow = 0; ow < Q; ++ow) {
        const float v = src[ow * sw];
        const bool take = (v > yrow[ow]) | (v != v);
        yrow[ow] = take ? v : yrow[ow];
        irow[ow] = take ? base + static_cast<int32_t>(ow * sw) : irow[ow];
      }
    }
}

// Every output row of a plane through max_row, for the plane's column stride.
void max_rows(const Pool2dParams& p, const PaddedPlane& g, const float* pad, float* yp, int32_t* ip) {
  for (int64_t oh = 0, P = p.p(), Q = p.q(); oh < P; ++oh) {
    if (p.stride_w == 2) max_row<2>(p, g, pad, oh, yp + oh * Q, ip + oh * Q);
    else if (p.stride_w == 1) max_row<1>(p, g, pad, oh, yp + oh * Q, ip + oh * Q);
    else max_row<0>(p, g, pad, oh, yp + oh * Q, ip + oh * Q);
  }
}

// Outputs left at index -1 by max_row: windows of padding only (-inf, -1 is right) or of -inf inputs
// only (the first input tap is), redone one by one.
void redo_empty(const Pool2dParams& p, const float* xp, float* yp, int32_t* ip) {
  const int64_t Q = p.q(), PQ = p.p() * Q;
  int32_t lowest = 0;
  for (int64_t o = 0; o < PQ; ++o) lowest = std::min(lowest, ip[o]);  // vectorised: usually none is < 0
  if (lowest >= 0) return;
  for (int64_t o = 0; o < PQ; ++o)
    if (ip[o] < 0) {
      const int64_t oh = o / Q, ow = o % Q;
      max_window(p, xp, oh, ow, tap_range(oh, p.stride_h, p.pad_h, p.dil_h, p.kh, p.h),
                 tap_range(ow, p.stride_w, p.pad_w, p.dil_w, p.kw, p.w), yp[o], ip[o]);
    }
}

}  // namespace

void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices) {
  const int64_t P = p.p(), Q = p.q(), HW = p.h * p.w;
  if (P <= 0 || Q <= 0) return;
  const PaddedPlane g(p);
  const bool avx512 = use_avx512();
  parallel_for(0, p.n * p.c, plane_grain(HW), [&](int64_t lo, int64_t hi) {  // one padded buffer per chunk
    std::vector<float> pad(static_cast<size_t>(g.rows * g.cols));
    g.clear(pad.data());
    for (int64_t plane = lo; plane < hi; ++plane) {
      const float* xp = x + plane * HW;
      float* yp = y + plane * P * Q;
      int32_t* ip = indices + plane * P * Q;
      g.fill(p, xp, pad.data());
      if (avx512) pool_detail::max_rows_avx512(p, pad.data(), g.cols, 0, P, yp, ip);
      else max_rows(p, g, pad.data(), yp, ip);
      redo_empty(p, xp, yp, ip);
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
