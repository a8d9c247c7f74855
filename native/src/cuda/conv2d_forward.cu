// CUDA conv2d forward as an implicit GEMM (conv2d.cuh): y (Kg, N*P*Q) = w (Kg, Cg*R*S) x cols(x) per group.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/conv2d.cuh"

namespace graft::cuda {
namespace {

using conv::Geometry;

template <typename I>
struct Forward {
  using Index = I;
  Geometry<I> d;
  const float *x, *w, *bias;
  float* y;
  struct Row {
    const float* w;  // filter g*Kg + i
  };
  struct Col {
    const float* x;  // image n, first channel of group g
    I h0, w0;        // the top-left tap of output (p, q): p*sh - ph, q*sw - pw
  };
  using ADepth = I;  // the filter's own element index
  struct BDepth {
    I plane, dr, ds;  // l = (c, r, s): c*H*W, r*dh, s*dw
  };
  __device__ I m() const { return d.kg; }
  __device__ I cols() const { return d.n * d.p * d.q; }
  __device__ I depth() const { return d.cg * d.r * d.s; }
  __device__ Row row(I g, I i) const { return Row{w + (g * d.kg + i) * depth()}; }
  __device__ ADepth a_depth(I, I l) const { return l; }
  __device__ float a(const Row& row, ADepth at) const { return row.w[at]; }
  __device__ Col col(I g, I j) const {
    const Coords3<I> npq = split3(j, d.by_p, d.by_q);
    return Col{x + (npq.outer * d.c + g * d.cg) * d.h * d.w, npq.mid * d.sh - d.ph, npq.inner * d.sw - d.pw};
  }
  __device__ BDepth b_depth(I, I l) const {
    const Coords3<I> crs = split3(l, d.by_r, d.by_s);
    return BDepth{crs.outer * d.h * d.w, crs.mid * d.dh, crs.inner * d.dw};
  }
  __device__ float b(const Col& col, const BDepth& at) const {  // x[n, g*Cg + c, h0 + r*dh, w0 + s*dw], 0 in the padding
    const I hi = col.h0 + at.dr, wi = col.w0 + at.ds;
    if (hi < 0 || hi >= d.h || wi < 0 || wi >= d.w) return 0.0f;
    return col.x[at.plane + hi * d.w + wi];
  }
  __device__ void store(I g, I i, I j, float acc) const {
    const QuotientRemainder<I> npq = d.by_pq.divmod(j);
    const I k = g * d.kg + i;
    y[(npq.quotient * d.k + k) * d.p * d.q + npq.remainder] = bias ? acc + bias[k] : acc;
  }
};

}  // namespace

void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                    Precision precision, int device) {
  const char* op = "cudaConv2dForward";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  conv::with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    const int64_t cols = int64_t(d.n) * d.p * d.q;
    const conv::TileShape shape = conv::choose_tile(op, device, d.kg, cols, p.groups, false);
    conv::launch<Forward<I>>(op, d.kg, cols, p.groups, precision, shape, device,
      [&](auto kernel, dim3 grid, size_t shared_bytes) {
        kernel<<<grid, conv::kThreads, shared_bytes, stream>>>(Forward<I>{d, x, w, bias, y}, p.groups);
    });
  });
}

}  // namespace graft::cuda
