// CUDA conv2d backward weight as an implicit GEMM (conv2d.cuh): dw (Kg, Cg*R*S) = dy (Kg, N*P*Q) x cols(x)ᵀ
// per group, and dbias.
// The depth N*P*Q is long and the grid small (ResNet-18's first conv at batch 128: 3 tiles of 1.6M products
// each), so when the tiles alone would not fill the GPU the depth is split (split-K): split s of S sums
// depth [s*chunk, (s+1)*chunk) (the last split up to N*P*Q; chunk is a multiple of 16 and at least
// kMinSplitDepth) into a float32 workspace [S][G][Kg][Cg*R*S], then one thread per dw element adds the S
// partial sums in split order 0, 1, ..., S-1. S depends only on the shape and the device's SM count (not on
// timing), so a shape gives the same bits on every run on a device; S == 1 (a grid that fills the GPU alone,
// or a depth under 2*kMinSplitDepth) is the one-pass path, bit for bit. dbias is a fixed-order double sum
// per filter.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda/conv2d.cuh"
#include "cuda/line.cuh"

namespace graft::cuda {
namespace {

using conv::Geometry;

template <typename I>
struct BackwardWeight {
  using Index = I;
  Geometry<I> d;
  const float *x, *dy;
  float* dw;
  struct Row {
    const float* dy;  // dy[0, g*Kg + i, 0, 0]
  };
  struct Col {
    const float* x;  // x[0, g*Cg + c, 0, 0]
    I h0, w0;        // r*dh - ph, s*dw - pw: output (p, q) reads row p*sh + h0, column q*sw + w0
  };
  using ADepth = I;  // l = (n, p, q): n*K*P*Q + p*Q + q
  struct BDepth {
    I image, hp, wq;  // l = (n, p, q): n*C*H*W, p*sh, q*sw
  };
  __device__ I m() const { return d.kg; }
  __device__ I cols() const { return d.cg * d.r * d.s; }
  __device__ I depth() const { return d.n * d.p * d.q; }
  __device__ Row row(I g, I i) const { return Row{dy + (g * d.kg + i) * d.p * d.q}; }
  __device__ ADepth a_depth(I, I l) const {
    const QuotientRemainder<I> npq = d.by_pq.divmod(l);
    return npq.quotient * d.k * d.p * d.q + npq.remainder;
  }
  __device__ float a(const Row& row, ADepth at) const { return row.dy[at]; }
  __device__ Col col(I g, I j) const {
    const Coords3<I> crs = split3(j, d.by_r, d.by_s);
    return Col{x + (g * d.cg + crs.outer) * d.h * d.w, crs.mid * d.dh - d.ph, crs.inner * d.dw - d.pw};
  }
  __device__ BDepth b_depth(I, I l) const {
    const Coords3<I> npq = split3(l, d.by_p, d.by_q);
    return BDepth{npq.outer * d.c * d.h * d.w, npq.mid * d.sh, npq.inner * d.sw};
  }
  __device__ float b(const Col& col, const BDepth& at) const {
    const I hi = at.hp + col.h0, wi = at.wq + col.w0;
    if (hi < 0 || hi >= d.h || wi < 0 || wi >= d.w) return 0.0f;
    return col.x[at.image + hi * d.w + wi];
  }
  __device__ void store(I g, I i, I j, float acc) const { dw[(g * d.kg + i) * cols() + j] = acc; }
};

// BackwardWeight with its depth split in pieces of `chunk`, over virtual groups v = split * groups + g:
// virtual group v sums depth [split*chunk, split*chunk + chunk), zeros past N*P*Q (the last split), which
// leave the sum unchanged. Stores go through BackwardWeight::store with g = v, so with whole.dw the
// workspace they land at [((split * groups + g) * Kg + i) * Cg*R*S + j], i.e. [splits][groups][Kg][Cg*R*S].
template <typename I>
struct BackwardWeightSplit {
  using Index = I;
  using Whole = BackwardWeight<I>;
  Whole whole;
  I groups, chunk;
  using Row = typename Whole::Row;
  using Col = typename Whole::Col;
  template <typename Depth>
  struct InSplit {
    Depth whole;  // of the depth index in the whole reduction
    bool in;      // false past N*P*Q
  };
  using ADepth = InSplit<typename Whole::ADepth>;
  using BDepth = InSplit<typename Whole::BDepth>;
  __device__ I m() const { return whole.m(); }
  __device__ I cols() const { return whole.cols(); }
  __device__ I depth() const { return chunk; }
  __device__ Row row(I v, I i) const { return whole.row(v % groups, i); }
  __device__ ADepth a_depth(I v, I l) const {
    const I at = v / groups * chunk + l;
    return ADepth{whole.a_depth(v % groups, at), at < whole.depth()};
  }
  __device__ float a(const Row& row, const ADepth& at) const { return at.in ? whole.a(row, at.whole) : 0.0f; }
  __device__ Col col(I v, I j) const { return whole.col(v % groups, j); }
  __device__ BDepth b_depth(I v, I l) const {
    const I at = v / groups * chunk + l;
    return BDepth{whole.b_depth(v % groups, at), at < whole.depth()};
  }
  __device__ float b(const Col& col, const BDepth& at) const { return at.in ? whole.b(col, at.whole) : 0.0f; }
  __device__ void store(I v, I i, I j, float acc) const { whole.store(v, i, j, acc); }
};

// dw[e] = partial[0][e] + partial[1][e] + ... + partial[splits-1][e], partial (splits, count): one thread per
// element, a float32 sum in split order.
__global__ void sum_splits_kernel(const float* partial, int64_t splits, int64_t count, float* dw) {
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < count; e += int64_t(gridDim.x) * blockDim.x) {
    float sum = partial[e];
    for (int64_t s = 1; s < splits; ++s) sum += partial[s * count + e];
    dw[e] = sum;
  }
}

// dbias[k] = sum over n, p, q of dy[n,k,p,q]: a block per filter, fixed-order double sum.
__global__ void bias_grad_kernel(const float* dy, int64_t n, int64_t k, int64_t pq, float* dbias) {
  for (int64_t f = blockIdx.x; f < k; f += gridDim.x) {
    double sum = 0.0;
    for_channel_range(f, k, pq, 0, n * pq, [&](int64_t i) { sum += dy[i]; });
    sum = BlockLine::all(sum, AddDoubles{});
    if (threadIdx.x == 0) dbias[f] = static_cast<float>(sum);
  }
}

// Split-K for backward weight: enough blocks for target_blocks(), each split at least kMinSplitDepth deep
// (a multiple of conv::kStep, so every split but the last is whole steps).
constexpr int64_t kMinSplitDepth = 4096, kSumThreads = 256;

struct DepthSplit {
  int64_t splits, chunk;  // split s covers depth [s*chunk, min((s+1)*chunk, depth))
};

// From the shape and the device's SM count only: `blocks` is the unsplit grid (output tiles x groups).
DepthSplit depth_split(const char* op, int device, int64_t blocks, int64_t depth) {
  const int64_t target = conv::target_blocks(op, device);
  if (blocks <= 0 || blocks >= target) return {1, depth};
  const int64_t wanted = std::min((target + blocks - 1) / blocks, depth / kMinSplitDepth);
  if (wanted <= 1) return {1, depth};
  const int64_t chunk = ((depth + wanted - 1) / wanted + conv::kStep - 1) / conv::kStep * conv::kStep;
  return {(depth + chunk - 1) / chunk, chunk};  // (splits - 1) * chunk < depth: no split is empty
}

// dw (K, Cg*R*S) through split.splits partial GEMMs and their fixed-order sum.
template <typename I>
void backward_weight_split(const char* op, BackwardWeight<I> whole, int64_t groups, DepthSplit split, float* dw,
                           Precision precision, conv::TileShape shape, int device, cudaStream_t stream) {
  const int64_t kg = whole.d.kg, cols = int64_t(whole.d.cg) * whole.d.r * whole.d.s, count = groups * kg * cols;
  const DeviceScratch<float> partial(op, split.splits * count, device);
  whole.dw = partial.get();
  const BackwardWeightSplit<I> problem{whole, I(groups), I(split.chunk)};
  conv::launch<BackwardWeightSplit<I>>(op, kg, cols, split.splits * groups, precision, shape, device,
    [&](auto kernel, dim3 grid, size_t shared_bytes) {
      kernel<<<grid, conv::kThreads, shared_bytes, stream>>>(problem, split.splits * groups);
  });
  sum_splits_kernel<<<grid_for(count, kSumThreads), kSumThreads, 0, stream>>>(partial.get(), split.splits, count, dw);
  GRAFT_CUDA_CHECK_LAUNCH(op, sum_splits_kernel);
}

}  // namespace

void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias,
                            Precision precision, int device) {
  const char* op = "cudaConv2dBackwardWeight";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  conv::with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    const int64_t cols = int64_t(d.cg) * d.r * d.s, depth = int64_t(d.n) * d.p * d.q;
    const conv::TileShape shape = conv::choose_tile(op, device, d.kg, cols, p.groups, depth >= 2 * kMinSplitDepth);
    DepthSplit split = depth_split(op, device, conv::grid_blocks(shape, d.kg, cols, p.groups), depth);
    // 32-bit indices must also reach every split's (zero-padded) depth and every workspace element.
    if (sizeof(I) == 4 && !narrow_indices(std::max(split.splits * split.chunk, split.splits * p.k * cols) + 4 * conv::kMaxTile))
      split = {1, depth};
    if (split.splits == 1) {
      conv::launch<BackwardWeight<I>>(op, d.kg, cols, p.groups, precision, shape, device,
        [&](auto kernel, dim3 grid, size_t shared_bytes) {
          kernel<<<grid, conv::kThreads, shared_bytes, stream>>>(BackwardWeight<I>{d, x, dy, dw}, p.groups);
      });
    } else {
      backward_weight_split(op, BackwardWeight<I>{d, x, dy, nullptr}, p.groups, split, dw, precision, shape, device, stream);
    }
  });
  if (dbias && p.k > 0) {
    bias_grad_kernel<<<BlockLine::blocks(p.k), kLineThreads, 0, stream>>>(dy, p.n, p.k, p.p() * p.q(), dbias);
    GRAFT_CUDA_CHECK_LAUNCH(op, bias_grad_kernel);
  }
}

}  // namespace graft::cuda
