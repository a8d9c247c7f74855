// CUDA conv2d backward data as an implicit GEMM (conv2d.cuh): dx (Cg, N*H*W) = wᵀ (Cg, Kg*R*S) x rows(dy)
// per group, zero where no output (p, q) reads an input through a tap.
// With a stride, most of those products are zeros: an input row hi is read only by the taps r with
// (hi + ph - r) % sh == 0 (undilated), so a 3x3 stride-2 conv reads each input through 9/4 taps on
// average, not 9, and a 1x1 stride-2 conv leaves 3 inputs in 4 untouched. So a strided, undilated
// convolution runs as sh*sw phase GEMMs, one per class of (hi + ph) % sh and (wi + pw) % sw, each over
// its own inputs and only the taps that reach them, with no division per element: the work a stride
// costs the one-GEMM form (sh*sw times the products that count) is gone. In float32 each dx element
// sums the same products in the same order (filter k, then r, then s) as the one-GEMM form, less the
// zeros that form adds (which change a finite sum only in the sign of a zero).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda/conv2d.cuh"

namespace graft::cuda {
namespace {

using conv::Geometry;

template <typename I>
struct BackwardData {
  using Index = I;
  Geometry<I> d;
  const float *dy, *w;
  float* dx;
  struct Row {
    const float* w;  // w[g*Kg, i, 0, 0]: tap (k, r, s) of input channel i is at k*Cg*R*S + r*S + s
  };
  struct Col {
    const float* dy;  // dy[n, g*Kg, 0, 0]
    I hp, wp;         // hi + ph, wi + pw: tap (r, s) comes from output row (hp - r*dh)/sh, column (wp - s*dw)/sw
  };
  using ADepth = I;  // l = (k, r, s): k*Cg*R*S + r*S + s
  struct BDepth {
    I plane, dr, ds;  // l = (k, r, s): k*P*Q, r*dh, s*dw
  };
  __device__ I m() const { return d.cg; }
  __device__ I cols() const { return d.n * d.h * d.w; }
  __device__ I depth() const { return d.kg * d.r * d.s; }
  __device__ Row row(I g, I i) const { return Row{w + (g * d.kg * d.cg + i) * d.r * d.s}; }
  __device__ ADepth a_depth(I, I l) const {
    const QuotientRemainder<I> krs = d.by_rs.divmod(l);
    return krs.quotient * d.cg * d.r * d.s + krs.remainder;
  }
  __device__ float a(const Row& row, ADepth at) const { return row.w[at]; }
  __device__ Col col(I g, I j) const {
    const Coords3<I> nhw = split3(j, d.by_h, d.by_w);
    return Col{dy + (nhw.outer * d.k + g * d.kg) * d.p * d.q, nhw.mid + d.ph, nhw.inner + d.pw};
  }
  __device__ BDepth b_depth(I, I l) const {
    const Coords3<I> krs = split3(l, d.by_r, d.by_s);
    return BDepth{krs.outer * d.p * d.q, krs.mid * d.dh, krs.inner * d.dw};
  }
  __device__ float b(const Col& col, const BDepth& at) const {  // 0 where no output (p, q) reads this input through tap (r, s)
    const I ph = col.hp - at.dr, pw = col.wp - at.ds;  // = p*sh and q*sw when a tap maps here
    if (ph < 0 || pw < 0) return 0.0f;
    const QuotientRemainder<I> p = d.by_sh.divmod(ph), q = d.by_sw.divmod(pw);
    if (p.remainder != 0 || q.remainder != 0 || p.quotient >= d.p || q.quotient >= d.q) return 0.0f;
    return col.dy[at.plane + p.quotient * d.q + q.quotient];
  }
  __device__ void store(I g, I i, I j, float acc) const {
    const QuotientRemainder<I> nhw = d.by_hw.divmod(j);
    dx[(nhw.quotient * d.c + g * d.cg + i) * d.h * d.w + nhw.remainder] = acc;
  }
};

// One phase of a strided, undilated backward data: the inputs (hi, wi) with (hi + ph) % sh == a and
// (wi + pw) % sw == b, and the taps r = a + sh*ri, s = b + sw*si that reach them. Input (h0 + y*sh,
// w0 + x*sw) through tap (ri, si) reads output (p0 + y - ri, q0 + x - si) when that is inside (P, Q).
template <typename I>
struct Phase {
  I a, b;            // the phase
  I h0, w0;          // its first input row and column
  I rows, cols;      // its input rows and columns
  I taps_r, taps_s;  // its taps in each direction (0 when a >= R or b >= S: those inputs get zeros)
  I p0, q0;          // (h0 + ph - a) / sh and (w0 + pw - b) / sw
  Divider<I> by_rows, by_cols, by_taps_r, by_taps_s;
};

template <typename I>
Phase<I> phase(const Conv2dParams& p, int64_t a, int64_t b) {
  const auto by = [](int64_t divisor) { return Divider<I>(std::max<int64_t>(divisor, 1)); };  // 1 for empty dims
  const auto first = [](int64_t residue, int64_t pad, int64_t stride) { return ((residue - pad) % stride + stride) % stride; };
  const auto count = [](int64_t from, int64_t end, int64_t step) { return from < end ? (end - from + step - 1) / step : 0; };
  const int64_t h0 = first(a, p.pad_h, p.stride_h), w0 = first(b, p.pad_w, p.stride_w);
  const int64_t rows = count(h0, p.h, p.stride_h), cols = count(w0, p.w, p.stride_w);
  const int64_t taps_r = count(a, p.r, p.stride_h), taps_s = count(b, p.s, p.stride_w);
  return Phase<I>{I(a),      I(b),      I(h0),    I(w0),    I(rows),  I(cols),  I(taps_r), I(taps_s),
                  I((h0 + p.pad_h - a) / p.stride_h),       I((w0 + p.pad_w - b) / p.stride_w),
                  by(rows),  by(cols),  by(taps_r), by(taps_s)};
}

// BackwardData over one phase: rows i are the input channels of group g, columns j = (n, y, x) the
// phase's inputs, depth l = (k, ri, si) the filters and the phase's taps.
template <typename I>
struct BackwardDataPhase {
  using Index = I;
  Geometry<I> d;
  Phase<I> ph;
  const float *dy, *w;
  float* dx;
  using Row = typename BackwardData<I>::Row;
  struct Col {
    const float* dy;  // dy[n, g*Kg, 0, 0]
    I p, q;           // p0 + y, q0 + x: tap (ri, si) reads output (p - ri, q - si)
  };
  using ADepth = I;  // l = (k, ri, si): k*Cg*R*S + r*S + s
  struct BDepth {
    I plane, ri, si;  // l = (k, ri, si): k*P*Q, ri, si
  };
  __device__ I m() const { return d.cg; }
  __device__ I cols() const { return d.n * ph.rows * ph.cols; }
  __device__ I depth() const { return d.kg * ph.taps_r * ph.taps_s; }
  __device__ Row row(I g, I i) const { return Row{w + (g * d.kg * d.cg + i) * d.r * d.s}; }
  __device__ ADepth a_depth(I, I l) const {
    const Coords3<I> krs = split3(l, ph.by_taps_r, ph.by_taps_s);
    return krs.outer * d.cg * d.r * d.s + (ph.a + krs.mid * d.sh) * d.s + ph.b + krs.inner * d.sw;
  }
  __device__ float a(const Row& row, ADepth at) const { return row.w[at]; }
  __device__ Col col(I g, I j) const {
    const Coords3<I> nyx = split3(j, ph.by_rows, ph.by_cols);
    return Col{dy + (nyx.outer * d.k + g * d.kg) * d.p * d.q, ph.p0 + nyx.mid, ph.q0 + nyx.inner};
  }
  __device__ BDepth b_depth(I, I l) const {
    const Coords3<I> krs = split3(l, ph.by_taps_r, ph.by_taps_s);
    return BDepth{krs.outer * d.p * d.q, krs.mid, krs.inner};
  }
  __device__ float b(const Col& col, const BDepth& at) const {  // 0 where the tap reads past the output's edge
    const I p = col.p - at.ri, q = col.q - at.si;
    if (p < 0 || p >= d.p || q < 0 || q >= d.q) return 0.0f;
    return col.dy[at.plane + p * d.q + q];
  }
  __device__ void store(I g, I i, I j, float acc) const {
    const Coords3<I> nyx = split3(j, ph.by_rows, ph.by_cols);
    const I hi = ph.h0 + nyx.mid * d.sh, wi = ph.w0 + nyx.inner * d.sw;
    dx[((nyx.outer * d.c + g * d.cg + i) * d.h + hi) * d.w + wi] = acc;
  }
};

}  // namespace

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx, Precision precision,
                          int device) {
  const char* op = "cudaConv2dBackwardData";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  conv::with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    if (p.dil_h != 1 || p.dil_w != 1 || (p.stride_h == 1 && p.stride_w == 1)) {
      const int64_t cols = int64_t(d.n) * d.h * d.w;
      const conv::TileShape shape = conv::choose_tile(op, device, d.cg, cols, p.groups, false);
      conv::launch<BackwardData<I>>(op, d.cg, cols, p.groups, precision, shape, device,
        [&](auto kernel, dim3 grid, size_t shared_bytes) {
          kernel<<<grid, conv::kThreads, shared_bytes, stream>>>(BackwardData<I>{d, dy, w, dx}, p.groups);
      });
      return;
    }
    for (int64_t a = 0; a < p.stride_h; ++a)
      for (int64_t b = 0; b < p.stride_w; ++b) {
        const Phase<I> ph = phase<I>(p, a, b);
        const int64_t cols = int64_t(d.n) * ph.rows * ph.cols;
        const conv::TileShape shape = conv::choose_tile(op, device, d.cg, cols, p.groups, false);
        conv::launch<BackwardDataPhase<I>>(op, d.cg, cols, p.groups, precision, shape, device,
          [&](auto kernel, dim3 grid, size_t shared_bytes) {
            kernel<<<grid, conv::kThreads, shared_bytes, stream>>>(BackwardDataPhase<I>{d, ph, dy, w, dx}, p.groups);
        });
      }
  });
}

}  // namespace graft::cuda
