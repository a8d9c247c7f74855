// im2col and col2im for the CPU conv2d. x (N,C,H,W), col (C/G*R*S, b*P*Q) for a chunk of b images:
//   col[(c*R+r)*S+s][i*P*Q + p*Q + q] = x[n0+i, g*Cg+c, p*sh-ph+r*dh, q*sw-pw+s*dw]  (0 in the padding)
#include <cstring>

#include "cpu/conv2d_internal.h"

namespace graft::cpu::conv2d_detail {
namespace {

// One output row (Q values) of one column-matrix row: zeros where the tap falls in the padding.
// Plain loops, not memcpy/fill: rows are often 7 or 14 values, where a library call costs more than
// the copy.
inline void gather_row(const float* xrow, float* out, int64_t Q, ValidRange v, int64_t stride, int64_t offset) {
  for (int64_t q = 0; q < v.lo; ++q) out[q] = 0.0f;
  if (stride == 1) {
    const float* src = xrow + offset;
    for (int64_t q = v.lo; q < v.hi; ++q) out[q] = src[q];
  } else {
    for (int64_t q = v.lo; q < v.hi; ++q) out[q] = xrow[q * stride + offset];
  }
  for (int64_t q = v.hi; q < Q; ++q) out[q] = 0.0f;
}

// dx row += one column-matrix row, for the taps that land inside the image.
inline void scatter_row(const float* in, float* dxrow, ValidRange v, int64_t stride, int64_t offset) {
  if (stride == 1) {
    float* d = dxrow + offset;
    for (int64_t q = v.lo; q < v.hi; ++q) d[q] += in[q];
  } else {
    for (int64_t q = v.lo; q < v.hi; ++q) dxrow[q * stride + offset] += in[q];
  }
}

}  // namespace

void im2col(const Conv2dParams& p, const float* x, int64_t n0, int64_t b, int64_t g, float* col) {
  const int64_t P = p.p(), Q = p.q(), PQ = P * Q, Cg = p.cg(), RS = p.r * p.s;
  const int64_t rows = Cg * RS * b;  // one task per (column row, image)
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, PQ));
  parallel_for(0, rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t i = task % b, crs = task / b;
      const int64_t c = crs / RS, r = crs % RS / p.s, s = crs % p.s;
      const float* plane = x + ((n0 + i) * p.c + g * Cg + c) * p.h * p.w;
      float* out = col + crs * b * PQ + i * PQ;
      const int64_t offset_w = s * p.dil_w - p.pad_w;
      const ValidRange v = valid_outputs(Q, p.w, s, p.stride_w, p.pad_w, p.dil_w);
      for (int64_t oh = 0; oh < P; ++oh, out += Q) {
        const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
        if (ih < 0 || ih >= p.h) {
          for (int64_t q = 0; q < Q; ++q) out[q] = 0.0f;
        } else {
          gather_row(plane + ih * p.w, out, Q, v, p.stride_w, offset_w);
        }
      }
    }
  });
}

void col2im(const Conv2dParams& p, const float* col, int64_t n0, int64_t b, int64_t g, float* dx) {
  const int64_t P = p.p(), Q = p.q(), PQ = P * Q, Cg = p.cg(), RS = p.r * p.s, HW = p.h * p.w;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, RS * PQ));
  parallel_for(0, Cg * b, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t i = task % b, c = task / b;
      float* plane = dx + ((n0 + i) * p.c + g * Cg + c) * HW;
      std::fill(plane, plane + HW, 0.0f);
      for (int64_t r = 0; r < p.r; ++r)
        for (int64_t s = 0; s < p.s; ++s) {
          const float* in = col + ((c * p.r + r) * p.s + s) * b * PQ + i * PQ;
          const int64_t offset_w = s * p.dil_w - p.pad_w;
          const ValidRange v = valid_outputs(Q, p.w, s, p.stride_w, p.pad_w, p.dil_w);
          for (int64_t oh = 0; oh < P; ++oh, in += Q) {
            const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
            if (ih >= 0 && ih < p.h) scatter_row(in, plane + ih * p.w, v, p.stride_w, offset_w);
          }
        }
    }
  });
}

}  // namespace graft::cpu::conv2d_detail
