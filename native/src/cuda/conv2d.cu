// CUDA 2-D convolution as implicit GEMM (graft/conv2d.h): x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q).
// No im2col buffer: the GEMM's tile loaders compute which input element each matrix entry is. Per group g:
//   forward:         y (Kg, N*P*Q)   = w (Kg, Cg*R*S)       x  cols(x) (Cg*R*S, N*P*Q)
//   backward_data:   dx (Cg, N*H*W)  = wᵀ (Cg, Kg*R*S)      x  rows(dy) (Kg*R*S, N*H*W), zero where no (p,q) maps
//   backward_weight: dw (Kg, Cg*R*S) = dy (Kg, N*P*Q)       x  cols(x)ᵀ (N*P*Q, Cg*R*S)
// Each output is one thread's float32 sum in a fixed order (64x64 tiles, K in steps of 16, 4x4 per thread),
// so results are reproducible; dbias is a fixed-order double sum per filter.
// backward_weight's depth N*P*Q is long and its grid small (ResNet-18's first conv at batch 128: 3 tiles of
// 1.6M products each), so when the tiles alone would not fill the GPU the depth is split (split-K): split s
// of S sums depth [s*chunk, (s+1)*chunk) (the last split up to N*P*Q; chunk is a multiple of 16 and at least
// kMinSplitDepth) into a float32 workspace [S][G][Kg][Cg*R*S], then one thread per dw element adds the S
// partial sums in split order 0, 1, ..., S-1. S depends only on the shape and the device's SM count (not on
// timing), so a shape gives the same bits on every run on a device; S == 1 (a grid that fills the GPU alone,
// or a depth under 2*kMinSplitDepth) is the one-pass path above, bit for bit.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "cuda/gemm_tiles.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

// Conv2dParams with P and Q worked out (its methods are host-only), in index type I: int32_t when every
// tensor has fewer than 2^31 elements (division is then a multiply-high, see divide.cuh), else int64_t.
// The dividers are the divisors of the loaders' and stores' index arithmetic, made once on the host.
template <typename I>
struct Geometry {
  I n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, cg, kg, p, q;
  Divider<I> by_r, by_s, by_rs, by_p, by_q, by_pq, by_h, by_w, by_hw, by_sh, by_sw;
};

template <typename I>
Geometry<I> geometry(const Conv2dParams& p) {
  const auto by = [](int64_t divisor) { return Divider<I>(std::max<int64_t>(divisor, 1)); };  // 1 for empty dims
  return Geometry<I>{I(p.n),      I(p.c),        I(p.h),        I(p.w),         I(p.k),         I(p.r),
                     I(p.s),      I(p.stride_h), I(p.stride_w), I(p.pad_h),     I(p.pad_w),     I(p.dil_h),
                     I(p.dil_w),  I(p.cg()),     I(p.kg()),     I(p.p()),       I(p.q()),       by(p.r),
                     by(p.s),     by(p.r * p.s), by(p.p()),     by(p.q()),      by(p.p() * p.q()), by(p.h),
                     by(p.w),     by(p.h * p.w), by(p.stride_h), by(p.stride_w)};
}

// Each problem gives the GEMM's operands as a(row, l) and b(col, l) over a Row and a Col that hold what
// depends only on the matrix row i or column j (pointers, top-left taps): the kernel makes them once per
// tile, so the per-element work is the decomposition of the depth index l alone: l = (c, r, s) of a
// (Cg, R, S) filter or (n, p, q) of an (N, P, Q) output, two multiply-high divisions in 32-bit indices.

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
  __device__ I m() const { return d.kg; }
  __device__ I cols() const { return d.n * d.p * d.q; }
  __device__ I depth() const { return d.cg * d.r * d.s; }
  __device__ Row row(I g, I i) const { return Row{w + (g * d.kg + i) * depth()}; }
  __device__ float a(const Row& row, I l) const { return row.w[l]; }
  __device__ Col col(I g, I j) const {
    const Coords3<I> npq = split3(j, d.by_p, d.by_q);
    return Col{x + (npq.outer * d.c + g * d.cg) * d.h * d.w, npq.mid * d.sh - d.ph, npq.inner * d.sw - d.pw};
  }
  __device__ float b(const Col& col, I l) const {  // x[n, g*Cg + c, h0 + r*dh, w0 + s*dw], 0 in the padding
    const Coords3<I> crs = split3(l, d.by_r, d.by_s);
    const I hi = col.h0 + crs.mid * d.dh, wi = col.w0 + crs.inner * d.dw;
    if (hi < 0 || hi >= d.h || wi < 0 || wi >= d.w) return 0.0f;
    return col.x[(crs.outer * d.h + hi) * d.w + wi];
  }
  __device__ void store(I g, I i, I j, float acc) const {
    const QuotientRemainder<I> npq = d.by_pq.divmod(j);
    const I k = g * d.kg + i;
    y[(npq.quotient * d.k + k) * d.p * d.q + npq.remainder] = bias ? acc + bias[k] : acc;
  }
};

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
  __device__ I m() const { return d.cg; }
  __device__ I cols() const { return d.n * d.h * d.w; }
  __device__ I depth() const { return d.kg * d.r * d.s; }
  __device__ Row row(I g, I i) const { return Row{w + (g * d.kg * d.cg + i) * d.r * d.s}; }
  __device__ float a(const Row& row, I l) const {
    const QuotientRemainder<I> krs = d.by_rs.divmod(l);
    return row.w[krs.quotient * d.cg * d.r * d.s + krs.remainder];
  }
  __device__ Col col(I g, I j) const {
    const Coords3<I> nhw = split3(j, d.by_h, d.by_w);
    return Col{dy + (nhw.outer * d.k + g * d.kg) * d.p * d.q, nhw.mid + d.ph, nhw.inner + d.pw};
  }
  __device__ float b(const Col& col, I l) const {  // 0 where no output (p, q) reads this input through tap (r, s)
    const Coords3<I> krs = split3(l, d.by_r, d.by_s);
    const I ph = col.hp - krs.mid * d.dh, pw = col.wp - krs.inner * d.dw;  // = p*sh and q*sw when a tap maps here
    if (ph < 0 || pw < 0) return 0.0f;
    const QuotientRemainder<I> p = d.by_sh.divmod(ph), q = d.by_sw.divmod(pw);
    if (p.remainder != 0 || q.remainder != 0 || p.quotient >= d.p || q.quotient >= d.q) return 0.0f;
    return col.dy[(krs.outer * d.p + p.quotient) * d.q + q.quotient];
  }
  __device__ void store(I g, I i, I j, float acc) const {
    const QuotientRemainder<I> nhw = d.by_hw.divmod(j);
    dx[(nhw.quotient * d.c + g * d.cg + i) * d.h * d.w + nhw.remainder] = acc;
  }
};

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
  __device__ I m() const { return d.kg; }
  __device__ I cols() const { return d.cg * d.r * d.s; }
  __device__ I depth() const { return d.n * d.p * d.q; }
  __device__ Row row(I g, I i) const { return Row{dy + (g * d.kg + i) * d.p * d.q}; }
  __device__ float a(const Row& row, I l) const {
    const QuotientRemainder<I> npq = d.by_pq.divmod(l);
    return row.dy[npq.quotient * d.k * d.p * d.q + npq.remainder];
  }
  __device__ Col col(I g, I j) const {
    const Coords3<I> crs = split3(j, d.by_r, d.by_s);
    return Col{x + (g * d.cg + crs.outer) * d.h * d.w, crs.mid * d.dh - d.ph, crs.inner * d.dw - d.pw};
  }
  __device__ float b(const Col& col, I l) const {
    const Coords3<I> npq = split3(l, d.by_p, d.by_q);
    const I hi = npq.mid * d.sh + col.h0, wi = npq.inner * d.sw + col.w0;
    if (hi < 0 || hi >= d.h || wi < 0 || wi >= d.w) return 0.0f;
    return col.x[(npq.outer * d.c * d.h + hi) * d.w + wi];
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
  BackwardWeight<I> whole;
  I groups, chunk;
  struct Row {
    typename BackwardWeight<I>::Row whole;
    I first;  // the split's first depth index
  };
  struct Col {
    typename BackwardWeight<I>::Col whole;
    I first;
  };
  __device__ I m() const { return whole.m(); }
  __device__ I cols() const { return whole.cols(); }
  __device__ I depth() const { return chunk; }
  __device__ Row row(I v, I i) const { return Row{whole.row(v % groups, i), v / groups * chunk}; }
  __device__ float a(const Row& row, I l) const {
    const I at = row.first + l;
    return at < whole.depth() ? whole.a(row.whole, at) : 0.0f;
  }
  __device__ Col col(I v, I j) const { return Col{whole.col(v % groups, j), v / groups * chunk}; }
  __device__ float b(const Col& col, I l) const {
    const I at = col.first + l;
    return at < whole.depth() ? whole.b(col.whole, at) : 0.0f;
  }
  __device__ void store(I v, I i, I j, float acc) const { whole.store(v, i, j, acc); }
};

constexpr int kTile = 64, kStep = 16, kMicro = 4, kThreads = (kTile / kMicro) * (kTile / kMicro);
static_assert(kMicro == 4 && (kTile + 4) % 4 == 0, "the float32 kernel reads a thread's 4 A and 4 B values as float4s");

// A thread's share of the operand loads of a 64x64 tile, for both conv kernels: each K step it stores A
// rows a_row + 16u (u < 4) at depth a_depth and B column b_col at depths b_depth + 4u, so its four Rows
// and one Col are made once per tile (and group) and only the depth index is decomposed per element.
template <typename Problem>
struct TileLoads {
  using I = typename Problem::Index;
  static constexpr int kLoads = kTile * kStep / kThreads;  // A and B elements per thread per K step
  int a_depth, a_row, b_col, b_depth;
  typename Problem::Row rows[kLoads] = {};
  bool row_in[kLoads];
  typename Problem::Col col = {};
  bool col_in;

  __device__ TileLoads(const Problem& pr, I g, I row0, I col0, I m, I cols)
      : a_depth(threadIdx.x % kStep), a_row(threadIdx.x / kStep), b_col(threadIdx.x % kTile), b_depth(threadIdx.x / kTile) {
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const I i = row0 + a_row + u * (kThreads / kStep);
      row_in[u] = i < m;
      if (row_in[u]) rows[u] = pr.row(g, i);
    }
    col_in = col0 + b_col < cols;
    if (col_in) col = pr.col(g, col0 + b_col);
  }

  // The thread's elements of K step k0 (zeros past the matrix), each value through round(). run() fetches
  // step k0 + 16 into registers before multiplying step k0, so the loads' latency overlaps the math.
  struct Fetched {
    float a[kLoads], b[kLoads];
  };
  template <typename Round>
  __device__ Fetched fetch(const Problem& pr, I k0, I depth, Round round) const {
    Fetched f;
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int l = b_depth + u * (kThreads / kTile);
      f.a[u] = row_in[u] && k0 + a_depth < depth ? round(pr.a(rows[u], k0 + a_depth)) : 0.0f;
      f.b[u] = col_in && k0 + l < depth ? round(pr.b(col, k0 + l)) : 0.0f;
    }
    return f;
  }

  // Fetched elements into As[l][i] and Bs[l][j].
  template <int kPitch>
  __device__ void stash(const Fetched& f, float (*As)[kPitch], float (*Bs)[kPitch]) const {
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      As[a_depth][a_row + u * (kThreads / kStep)] = f.a[u];
      Bs[b_depth + u * (kThreads / kTile)][b_col] = f.b[u];
    }
  }

  // The K loop both kernels share: multiply(As, Bs) for each K step of the whole depth, on shared tiles
  // that are double-buffered. While the block multiplies step k from one buffer, each thread fetches
  // step k+1 into registers and stores it into the other, so one barrier per step both publishes
  // step k+1 and tells every thread that step k's buffer is free again (it is next written two steps on).
  template <int kPitch, typename Round, typename Multiply>
  __device__ void run(const Problem& pr, I depth, Round round, float (*a_tiles)[kStep][kPitch],
                      float (*b_tiles)[kStep][kPitch], Multiply multiply) const {
    stash(fetch(pr, 0, depth, round), a_tiles[0], b_tiles[0]);
    __syncthreads();
    int buffer = 0;
    for (I k0 = 0; k0 < depth; k0 += kStep, buffer ^= 1) {
      const bool more = k0 + kStep < depth;
      Fetched next;
      if (more) next = fetch(pr, k0 + kStep, depth, round);
      multiply(a_tiles[buffer], b_tiles[buffer]);
      if (more) stash(next, a_tiles[buffer ^ 1], b_tiles[buffer ^ 1]);
      __syncthreads();
    }
  }
};

// 64x64 tiles, K in steps of 16, 4x4 outputs per thread, over an operand-computing problem; blockIdx.z
// is the group.
template <typename Problem>
__global__ void __launch_bounds__(kThreads) implicit_gemm_kernel(Problem pr, int64_t groups) {
  // Double-buffered (TileLoads::run); rows of 68 floats keep each thread's 4 values one aligned float4.
  __shared__ __align__(16) float a_tiles[2][kStep][kTile + 4];
  __shared__ __align__(16) float b_tiles[2][kStep][kTile + 4];
  const int tid = threadIdx.x, ty = tid / (kTile / kMicro), tx = tid % (kTile / kMicro);
  using I = typename Problem::Index;
  const I row0 = I(blockIdx.y) * kTile, col0 = I(blockIdx.x) * kTile;
  const I m = pr.m(), cols = pr.cols(), depth = pr.depth();
  for (I g = blockIdx.z; g < groups; g += gridDim.z) {
    const TileLoads<Problem> loads(pr, g, row0, col0, m, cols);
    const auto same = [](float v) { return v; };
    float acc[kMicro][kMicro] = {};
    loads.run(pr, depth, same, a_tiles, b_tiles, [&](const float (*As)[kTile + 4], const float (*Bs)[kTile + 4]) {
#pragma unroll
      for (int l = 0; l < kStep; ++l) {
        // One 16-byte shared load per operand instead of four: a warp's B reads are 16 distinct float4s.
        const float4 a4 = *reinterpret_cast<const float4*>(&As[l][ty * kMicro]);
        const float4 b4 = *reinterpret_cast<const float4*>(&Bs[l][tx * kMicro]);
        const float a[kMicro] = {a4.x, a4.y, a4.z, a4.w}, b[kMicro] = {b4.x, b4.y, b4.z, b4.w};
#pragma unroll
        for (int u = 0; u < kMicro; ++u)
#pragma unroll
          for (int v = 0; v < kMicro; ++v) acc[u][v] = fmaf(a[u], b[v], acc[u][v]);
      }
    });
    for (int u = 0; u < kMicro; ++u)
      for (int v = 0; v < kMicro; ++v) {
        const I i = row0 + ty * kMicro + u, j = col0 + tx * kMicro + v;
        if (i < m && j < cols) pr.store(g, i, j, acc[u][v]);
      }
  }
}

// The same tiles and loaders on tensor cores (compute capability >= 8.0): operands are rounded to TF32 or
// BF16 as they are stored to shared memory; the 8 warps split the 64x64 tile 2x4, 32 rows x 16 columns
// each, as 2x2 mma.sync tiles of 16x8 (m16n8k8 TF32: two per K step; m16n8k16 BF16: one), with the
// fragment layouts of the PTX ISA read straight from shared memory. Rows 72 floats apart put a warp's
// TF32 fragment reads (8 rows x 4 depths) on 32 different banks. float32 accumulation in a fixed order.
constexpr int kMmaPitch = kTile + 8;

template <typename Problem, bool BF16>
__global__ void __launch_bounds__(kThreads) implicit_gemm_mma_kernel(Problem pr, int64_t groups) {
#if defined(GRAFT_CUDA_SIM) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
  __shared__ float a_tiles[2][kStep][kMmaPitch];  // double-buffered (TileLoads::run)
  __shared__ float b_tiles[2][kStep][kMmaPitch];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, wm = warp % 2, wn = warp / 2;
  const int quad = lane / 4, t = lane % 4;  // the fragment coordinates (groupID, threadID_in_group)
  using I = typename Problem::Index;
  const I row0 = I(blockIdx.y) * kTile, col0 = I(blockIdx.x) * kTile;
  const I m = pr.m(), cols = pr.cols(), depth = pr.depth();
  const auto round = [](float v) { return BF16 ? round_bf16(v) : tiles::round_tf32(v); };
  for (I g = blockIdx.z; g < groups; g += gridDim.z) {
    const TileLoads<Problem> loads(pr, g, row0, col0, m, cols);
    float acc[2][2][4] = {};
    loads.run(pr, depth, round, a_tiles, b_tiles, [&](const float (*As)[kMmaPitch], const float (*Bs)[kMmaPitch]) {
      if (BF16) {
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
          const int r = wm * 32 + mi * 16 + quad;
          const uint32_t a[4] = {tiles::pack_bf16(As[2 * t][r], As[2 * t + 1][r]),
                                 tiles::pack_bf16(As[2 * t][r + 8], As[2 * t + 1][r + 8]),
                                 tiles::pack_bf16(As[2 * t + 8][r], As[2 * t + 9][r]),
                                 tiles::pack_bf16(As[2 * t + 8][r + 8], As[2 * t + 9][r + 8])};
#pragma unroll
          for (int nj = 0; nj < 2; ++nj) {
            const int c = wn * 16 + nj * 8 + quad;
            tiles::mma_bf16_16x8x16(acc[mi][nj], a, tiles::pack_bf16(Bs[2 * t][c], Bs[2 * t + 1][c]),
                                    tiles::pack_bf16(Bs[2 * t + 8][c], Bs[2 * t + 9][c]));
          }
        }
      } else {
#pragma unroll
        for (int ks = 0; ks < kStep; ks += 8)
#pragma unroll
          for (int mi = 0; mi < 2; ++mi) {
            const int r = wm * 32 + mi * 16 + quad;
            const uint32_t a[4] = {__float_as_uint(As[ks + t][r]), __float_as_uint(As[ks + t][r + 8]),
                                   __float_as_uint(As[ks + t + 4][r]), __float_as_uint(As[ks + t + 4][r + 8])};
#pragma unroll
            for (int nj = 0; nj < 2; ++nj) {
              const int c = wn * 16 + nj * 8 + quad;
              tiles::mma_tf32_16x8x8(acc[mi][nj], a, __float_as_uint(Bs[ks + t][c]), __float_as_uint(Bs[ks + t + 4][c]));
            }
          }
      }
    });
    // The warp's 32x16 tile, from the lane's first accumulator.
    const I warp_row = row0 + wm * 32 + tiles::accumulator_row(lane);
    const I warp_col = col0 + wn * 16 + tiles::accumulator_col(lane);
    tiles::for_each_accumulator(acc, [&](int r, int c, float v) {
      const I i = warp_row + r, j = warp_col + c;
      if (i < m && j < cols) pr.store(g, i, j, v);
    });
  }
#else
  __trap();  // the host refuses tensor-core precisions below compute capability 8.0
#endif
}

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

template <typename Problem>
void launch(const char* op, const Problem& pr, int64_t m, int64_t cols, int64_t groups, Precision precision,
            cudaStream_t stream) {
  if (m == 0 || cols == 0 || groups == 0) return;
  const int64_t tiles_m = (m + kTile - 1) / kTile, tiles_n = (cols + kTile - 1) / kTile;
  if (tiles_m > 65535 || tiles_n > (int64_t(1) << 31) - 1) throw Error(std::string(op) + ": the problem is too large for one launch");
  const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
                  static_cast<unsigned>(groups < 65535 ? groups : 65535));
  if (precision == Precision::Float32) {
    implicit_gemm_kernel<Problem><<<grid, kThreads, 0, stream>>>(pr, groups);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_kernel);
  } else if (precision == Precision::Tf32) {
    implicit_gemm_mma_kernel<Problem, false><<<grid, kThreads, 0, stream>>>(pr, groups);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_mma_kernel);
  } else {
    implicit_gemm_mma_kernel<Problem, true><<<grid, kThreads, 0, stream>>>(pr, groups);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_mma_kernel);
  }
}

// Split-K for backward weight: enough blocks for about kBlocksPerSm per SM, each split at least
// kMinSplitDepth deep (a multiple of kStep, so every split but the last is whole steps).
constexpr int64_t kBlocksPerSm = 2, kMinSplitDepth = 4096, kSumThreads = 256;

struct DepthSplit {
  int64_t splits, chunk;  // split s covers depth [s*chunk, min((s+1)*chunk, depth))
};

// From the shape and the device's SM count only: `tiles` is the unsplit grid (output tiles x groups).
DepthSplit depth_split(const char* op, int device, int64_t tiles, int64_t depth) {
  int sms = 0;
  GRAFT_CUDA_CHECK(op, cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int64_t target = kBlocksPerSm * sms;
  if (tiles <= 0 || tiles >= target) return {1, depth};
  const int64_t wanted = std::min((target + tiles - 1) / tiles, depth / kMinSplitDepth);
  if (wanted <= 1) return {1, depth};
  const int64_t chunk = ((depth + wanted - 1) / wanted + kStep - 1) / kStep * kStep;
  return {(depth + chunk - 1) / chunk, chunk};  // (splits - 1) * chunk < depth: no split is empty
}

// dw (K, Cg*R*S) through split.splits partial GEMMs and their fixed-order sum.
template <typename I>
void backward_weight_split(const char* op, BackwardWeight<I> whole, int64_t groups, DepthSplit split, float* dw,
                           Precision precision, int device, cudaStream_t stream) {
  const int64_t kg = whole.d.kg, cols = int64_t(whole.d.cg) * whole.d.r * whole.d.s, count = groups * kg * cols;
  const DeviceScratch<float> partial(op, split.splits * count, device);
  whole.dw = partial.get();
  launch(op, BackwardWeightSplit<I>{whole, I(groups), I(split.chunk)}, kg, cols, split.splits * groups, precision, stream);
  sum_splits_kernel<<<grid_for(count, kSumThreads), kSumThreads, 0, stream>>>(partial.get(), split.splits, count, dw);
  GRAFT_CUDA_CHECK_LAUNCH(op, sum_splits_kernel);
}

// Runs fn(geometry) in 32-bit index arithmetic when every tensor, and so every index the kernels form
// (a tile's reach past the edge included), stays under 2^31 elements, and so does every divisor (which
// an empty batch or filter bank would not bound); else in 64-bit.
template <typename Fn>
void with_geometry(const Conv2dParams& p, Fn fn) {
  const int64_t largest = std::max({p.n * p.c * p.h * p.w, p.n * p.k * p.p() * p.q(), p.k * p.cg() * p.r * p.s,
                                    p.groups, p.h * p.w, p.p() * p.q(), p.r * p.s, p.stride_h, p.stride_w});
  with_index_type(largest + 4 * kTile, [&](auto index) { fn(geometry<decltype(index)>(p)); });
}

}  // namespace

void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                    Precision precision, int device) {
  const char* op = "cudaConv2dForward";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    launch(op, Forward<I>{d, x, w, bias, y}, d.kg, int64_t(d.n) * d.p * d.q, p.groups, precision, stream);
  });
}

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx, Precision precision,
                          int device) {
  const char* op = "cudaConv2dBackwardData";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    launch(op, BackwardData<I>{d, dy, w, dx}, d.cg, int64_t(d.n) * d.h * d.w, p.groups, precision, stream);
  });
}

void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias,
                            Precision precision, int device) {
  const char* op = "cudaConv2dBackwardWeight";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    const int64_t cols = int64_t(d.cg) * d.r * d.s, depth = int64_t(d.n) * d.p * d.q;
    // The unsplit grid's blocks, saturated at 2^40 (either factor past 2^20 already fills any GPU).
    const int64_t big = int64_t(1) << 20, tiles_m = (int64_t(d.kg) + kTile - 1) / kTile;
    const int64_t tiles = std::min(tiles_m * ((cols + kTile - 1) / kTile), big) * std::min(p.groups, big);
    DepthSplit split = depth_split(op, device, tiles, depth);
    // 32-bit indices must also reach every split's (zero-padded) depth and every workspace element.
    if (sizeof(I) == 4 && !narrow_indices(std::max(split.splits * split.chunk, split.splits * p.k * cols) + 4 * kTile))
      split = {1, depth};
    if (split.splits == 1) launch(op, BackwardWeight<I>{d, x, dy, dw}, d.kg, cols, p.groups, precision, stream);
    else backward_weight_split(op, BackwardWeight<I>{d, x, dy, nullptr}, p.groups, split, dw, precision, device, stream);
  });
  if (dbias && p.k > 0) {
    bias_grad_kernel<<<BlockLine::blocks(p.k), kLineThreads, 0, stream>>>(dy, p.n, p.k, p.p() * p.q(), dbias);
    GRAFT_CUDA_CHECK_LAUNCH(op, bias_grad_kernel);
  }
}

}  // namespace graft::cuda
