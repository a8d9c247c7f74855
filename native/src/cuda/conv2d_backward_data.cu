// CUDA conv2d backward data as an implicit GEMM (conv2d.cuh): dx (Cg, N*H*W) = wᵀ (Cg, Kg*R*S) x rows(dy)
// per group, zero where no output (p, q) reads an input through a tap.
#include <cuda_runtime.h>

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

}  // namespace

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx, Precision precision,
                          int device) {
  const char* op = "cudaConv2dBackwardData";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  conv::with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    const int64_t cols = int64_t(d.n) * d.h * d.w;
    const conv::TileShape shape = conv::choose_tile(op, device, d.cg, cols, p.groups, false);
    conv::launch<BackwardData<I>>(op, d.cg, cols, p.groups, precision, shape, [&](auto kernel, dim3 grid) {
      kernel<<<grid, conv::kThreads, 0, stream>>>(BackwardData<I>{d, dy, w, dx}, p.groups);
    });
  });
}

}  // namespace graft::cuda
