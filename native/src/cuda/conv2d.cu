// CUDA 2-D convolution as implicit GEMM (graft/conv2d.h): x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q).
// No im2col buffer: the GEMM's tile loaders compute which input element each matrix entry is. Per group g:
//   forward:         y (Kg, N*P*Q)   = w (Kg, Cg*R*S)       x  cols(x) (Cg*R*S, N*P*Q)
//   backward_data:   dx (Cg, N*H*W)  = wᵀ (Cg, Kg*R*S)      x  rows(dy) (Kg*R*S, N*H*W), zero where no (p,q) maps
//   backward_weight: dw (Kg, Cg*R*S) = dy (Kg, N*P*Q)       x  cols(x)ᵀ (N*P*Q, Cg*R*S)
// Each output is one thread's float32 sum in a fixed order (K in steps of 16, depth ascending), so results
// are reproducible, and the same whichever block tile (64x64, 64x128 or 128x128, see Tile) computes them;
// dbias is a fixed-order double sum per filter.
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
#include <cstdlib>
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

// Each problem gives the GEMM's operands as a(row, a_depth(g, l)) and b(col, b_depth(g, l)). A Row or Col
// holds what depends only on the matrix row i or column j (pointers, top-left taps); an ADepth or BDepth
// what depends only on the depth index l, e.g. l = (c, r, s) of a (Cg, R, S) filter or (n, p, q) of an
// (N, P, Q) output, split by multiply-high divisions in 32-bit indices. The kernels make Rows and Cols
// once per tile, and each thread splits its depth indices once per K step for all its rows or columns,
// so what is left per element is a few adds, the bounds checks and the load.

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

constexpr int kStep = 16, kThreads = 256;

// A block's tile of the output: kRows x kCols (each 64 or 128), 256 threads, K in steps of 16. Wider
// tiles load each operand value once for more products (a 128x128 tile does 4x the 64x64 tile's math for
// 2x its loads) but make fewer blocks; choose_tile() picks one per launch. Every tile sums each output's
// products in the same order (depth ascending, zero-padded to whole K steps), so the tile changes
// which block computes an output, never its bits.
template <int ROWS, int COLS>
struct Tile {
  static constexpr int kRows = ROWS, kCols = COLS;
  static_assert(ROWS % 64 == 0 && COLS % 64 == 0 && ROWS <= 128 && COLS <= 128, "tiles are 64 or 128 on each side");
};
using Tile64x64 = Tile<64, 64>;
using Tile64x128 = Tile<64, 128>;
using Tile128x128 = Tile<128, 128>;
constexpr int kMaxTile = 128;

// A thread's share of the operand loads of a tile, for both conv kernels. Each K step it loads A rows
// a_row + 16u (u < kRowsA) at depth a_k, and B columns b_col + 32v (v < kColsB) at depths b_k + 8t
// (t < kDepthsB): one A depth and two B depths per step, each split once (a_depth, b_depth) for all of
// the thread's rows or columns. A warp's B loads are 32 consecutive columns at one depth (coalesced, and
// one shared row when stored). Its Rows and Cols are made once per tile (and group).
template <typename Problem, typename T>
struct TileLoads {
  using I = typename Problem::Index;
  static constexpr int kWarps = kThreads / 32;
  static constexpr int kRowsA = T::kRows * kStep / kThreads, kRowStride = kThreads / kStep;
  static constexpr int kDepthsB = kStep / kWarps, kColsB = T::kCols / 32;
  I g;
  int a_k, a_row, b_k, b_col;
  typename Problem::Row rows[kRowsA] = {};
  bool row_in[kRowsA];
  typename Problem::Col cols[kColsB] = {};
  bool col_in[kColsB];

  __device__ TileLoads(const Problem& pr, I g_, I row0, I col0, I m, I n)
      : g(g_), a_k(threadIdx.x % kStep), a_row(threadIdx.x / kStep), b_k(threadIdx.x / 32), b_col(threadIdx.x % 32) {
#pragma unroll
    for (int u = 0; u < kRowsA; ++u) {
      const I i = row0 + a_row + u * kRowStride;
      row_in[u] = i < m;
      if (row_in[u]) rows[u] = pr.row(g, i);
    }
#pragma unroll
    for (int v = 0; v < kColsB; ++v) {
      const I j = col0 + b_col + v * 32;
      col_in[v] = j < n;
      if (col_in[v]) cols[v] = pr.col(g, j);
    }
  }

  // The thread's elements of K step k0 (zeros past the matrix), each value through round(). run() fetches
  // step k0 + 16 into registers before multiplying step k0, so the loads' latency overlaps the math.
  struct Fetched {
    float a[kRowsA], b[kDepthsB][kColsB];
  };
  template <typename Round>
  __device__ Fetched fetch(const Problem& pr, I k0, I depth, Round round) const {
    Fetched f;
    const bool a_in = k0 + a_k < depth;
    const auto a_at = pr.a_depth(g, k0 + a_k);
#pragma unroll
    for (int u = 0; u < kRowsA; ++u) f.a[u] = row_in[u] && a_in ? round(pr.a(rows[u], a_at)) : 0.0f;
#pragma unroll
    for (int t = 0; t < kDepthsB; ++t) {
      const I l = k0 + b_k + t * kWarps;
      const bool b_in = l < depth;
      const auto b_at = pr.b_depth(g, l);
#pragma unroll
      for (int v = 0; v < kColsB; ++v) f.b[t][v] = col_in[v] && b_in ? round(pr.b(cols[v], b_at)) : 0.0f;
    }
    return f;
  }

  // Fetched elements into As[l][i] and Bs[l][j].
  template <int kPitchA, int kPitchB>
  __device__ void stash(const Fetched& f, float (*As)[kPitchA], float (*Bs)[kPitchB]) const {
#pragma unroll
    for (int u = 0; u < kRowsA; ++u) As[a_k][a_row + u * kRowStride] = f.a[u];
#pragma unroll
    for (int t = 0; t < kDepthsB; ++t)
#pragma unroll
      for (int v = 0; v < kColsB; ++v) Bs[b_k + t * kWarps][b_col + v * 32] = f.b[t][v];
  }

  // The K loop both kernels share: multiply(As, Bs) for each K step of the whole depth, on shared tiles
  // that are double-buffered. While the block multiplies step k from one buffer, each thread fetches
  // step k+1 into registers and stores it into the other, so one barrier per step both publishes
  // step k+1 and tells every thread that step k's buffer is free again (it is next written two steps on).
  template <int kPitchA, int kPitchB, typename Round, typename Multiply>
  __device__ void run(const Problem& pr, I depth, Round round, float (*a_tiles)[kStep][kPitchA],
                      float (*b_tiles)[kStep][kPitchB], Multiply multiply) const {
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

// float32 on CUDA cores over an operand-computing problem; blockIdx.z is the group. The 256 threads form
// a 16x16 grid; thread (ty, tx) owns kRows/16 x kCols/16 outputs, in strips of 4 rows (columns) 64 apart
// (rows ty*4 .. ty*4+3, then 64 + ty*4 .., as the float32 GEMM), so each strip is one float4 shared load
// and a warp's B reads are 16 distinct float4s.
template <typename Problem, typename T>
__global__ void __launch_bounds__(kThreads) implicit_gemm_kernel(Problem pr, int64_t groups) {
  constexpr int kPitchA = T::kRows + 4, kPitchB = T::kCols + 4;  // keep every strip an aligned float4
  constexpr int kMi = T::kRows / 16, kNj = T::kCols / 16;
  __shared__ __align__(16) float a_tiles[2][kStep][kPitchA];  // double-buffered (TileLoads::run)
  __shared__ __align__(16) float b_tiles[2][kStep][kPitchB];
  const int tid = threadIdx.x, ty = tid / 16, tx = tid % 16;
  using I = typename Problem::Index;
  const I row0 = I(blockIdx.y) * T::kRows, col0 = I(blockIdx.x) * T::kCols;
  const I m = pr.m(), cols = pr.cols(), depth = pr.depth();
  const auto strip = [](int owner, int u) { return (u / 4) * 64 + owner * 4 + u % 4; };  // tile offset of output u
  for (I g = blockIdx.z; g < groups; g += gridDim.z) {
    const TileLoads<Problem, T> loads(pr, g, row0, col0, m, cols);
    const auto same = [](float v) { return v; };
    float acc[kMi][kNj] = {};
    loads.run(pr, depth, same, a_tiles, b_tiles, [&](const float (*As)[kPitchA], const float (*Bs)[kPitchB]) {
#pragma unroll
      for (int l = 0; l < kStep; ++l) {
        float a[kMi], b[kNj];
#pragma unroll
        for (int u = 0; u < kMi; u += 4) *reinterpret_cast<float4*>(a + u) = *reinterpret_cast<const float4*>(&As[l][strip(ty, u)]);
#pragma unroll
        for (int v = 0; v < kNj; v += 4) *reinterpret_cast<float4*>(b + v) = *reinterpret_cast<const float4*>(&Bs[l][strip(tx, v)]);
#pragma unroll
        for (int u = 0; u < kMi; ++u)
#pragma unroll
          for (int v = 0; v < kNj; ++v) acc[u][v] = fmaf(a[u], b[v], acc[u][v]);
      }
    });
#pragma unroll
    for (int u = 0; u < kMi; ++u)
#pragma unroll
      for (int v = 0; v < kNj; ++v) {
        const I i = row0 + strip(ty, u), j = col0 + strip(tx, v);
        if (i < m && j < cols) pr.store(g, i, j, acc[u][v]);
      }
  }
}

// The same tiles and loaders on tensor cores (compute capability >= 8.0): operands are rounded to TF32 or
// BF16 as they are stored to shared memory; the 8 warps split the tile 2x4 (a warp has kRows/2 rows and
// kCols/4 columns) as mma.sync tiles of 16x8 (m16n8k8 TF32: two per K step; m16n8k16 BF16: one), with
// the fragment layouts of the PTX ISA read straight from shared memory. Rows of kRows + 8 (kCols + 8)
// floats, 8 banks apart, put a warp's TF32 fragment reads (8 rows x 4 depths) on 32 different banks.
// float32 accumulation in a fixed order.
template <typename Problem, typename T, bool BF16>
__global__ void __launch_bounds__(kThreads) implicit_gemm_mma_kernel(Problem pr, int64_t groups) {
#if defined(GRAFT_CUDA_SIM) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
  constexpr int kPitchA = T::kRows + 8, kPitchB = T::kCols + 8;
  constexpr int kWarpRows = T::kRows / 2, kWarpCols = T::kCols / 4, kMi = kWarpRows / 16, kNj = kWarpCols / 8;
  __shared__ float a_tiles[2][kStep][kPitchA];  // double-buffered (TileLoads::run)
  __shared__ float b_tiles[2][kStep][kPitchB];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, wm = warp % 2, wn = warp / 2;
  const int quad = lane / 4, t = lane % 4;  // the fragment coordinates (groupID, threadID_in_group)
  using I = typename Problem::Index;
  const I row0 = I(blockIdx.y) * T::kRows, col0 = I(blockIdx.x) * T::kCols;
  const I m = pr.m(), cols = pr.cols(), depth = pr.depth();
  const auto round = [](float v) { return BF16 ? round_bf16(v) : tiles::round_tf32(v); };
  for (I g = blockIdx.z; g < groups; g += gridDim.z) {
    const TileLoads<Problem, T> loads(pr, g, row0, col0, m, cols);
    float acc[kMi][kNj][4] = {};
    loads.run(pr, depth, round, a_tiles, b_tiles, [&](const float (*As)[kPitchA], const float (*Bs)[kPitchB]) {
      if (BF16) {
        uint32_t b[kNj][2];  // the warp's columns, read once per step
#pragma unroll
        for (int nj = 0; nj < kNj; ++nj) {
          const int c = wn * kWarpCols + nj * 8 + quad;
          b[nj][0] = tiles::pack_bf16(Bs[2 * t][c], Bs[2 * t + 1][c]);
          b[nj][1] = tiles::pack_bf16(Bs[2 * t + 8][c], Bs[2 * t + 9][c]);
        }
#pragma unroll
        for (int mi = 0; mi < kMi; ++mi) {
          const int r = wm * kWarpRows + mi * 16 + quad;
          const uint32_t a[4] = {tiles::pack_bf16(As[2 * t][r], As[2 * t + 1][r]),
                                 tiles::pack_bf16(As[2 * t][r + 8], As[2 * t + 1][r + 8]),
                                 tiles::pack_bf16(As[2 * t + 8][r], As[2 * t + 9][r]),
                                 tiles::pack_bf16(As[2 * t + 8][r + 8], As[2 * t + 9][r + 8])};
#pragma unroll
          for (int nj = 0; nj < kNj; ++nj) tiles::mma_bf16_16x8x16(acc[mi][nj], a, b[nj][0], b[nj][1]);
        }
      } else {
#pragma unroll
        for (int ks = 0; ks < kStep; ks += 8) {
          uint32_t b[kNj][2];
#pragma unroll
          for (int nj = 0; nj < kNj; ++nj) {
            const int c = wn * kWarpCols + nj * 8 + quad;
            b[nj][0] = __float_as_uint(Bs[ks + t][c]);
            b[nj][1] = __float_as_uint(Bs[ks + t + 4][c]);
          }
#pragma unroll
          for (int mi = 0; mi < kMi; ++mi) {
            const int r = wm * kWarpRows + mi * 16 + quad;
            const uint32_t a[4] = {__float_as_uint(As[ks + t][r]), __float_as_uint(As[ks + t][r + 8]),
                                   __float_as_uint(As[ks + t + 4][r]), __float_as_uint(As[ks + t + 4][r + 8])};
#pragma unroll
            for (int nj = 0; nj < kNj; ++nj) tiles::mma_tf32_16x8x8(acc[mi][nj], a, b[nj][0], b[nj][1]);
          }
        }
      }
    });
    // The warp's tile, from the lane's first accumulator.
    const I warp_row = row0 + wm * kWarpRows + tiles::accumulator_row(lane);
    const I warp_col = col0 + wn * kWarpCols + tiles::accumulator_col(lane);
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

// The tiles a launch can use (Tile), by name for GRAFT_CONV_TILE and errors.
enum class TileShape { k64x64, k64x128, k128x128 };
constexpr TileShape kTileShapes[] = {TileShape::k128x128, TileShape::k64x128, TileShape::k64x64};  // widest first

int64_t tile_rows(TileShape shape) { return shape == TileShape::k128x128 ? 128 : 64; }
int64_t tile_cols(TileShape shape) { return shape == TileShape::k64x64 ? 64 : 128; }
std::string tile_name(TileShape shape) { return std::to_string(tile_rows(shape)) + "x" + std::to_string(tile_cols(shape)); }

// Calls fn(Tile<...>{}) for the shape.
template <typename Fn>
void with_tile(TileShape shape, Fn fn) {
  if (shape == TileShape::k128x128) fn(Tile128x128{});
  else if (shape == TileShape::k64x128) fn(Tile64x128{});
  else fn(Tile64x64{});
}

// The blocks of an m x cols output in `groups` groups, saturated at 2^40 (either factor past 2^20
// already fills any GPU).
int64_t grid_blocks(TileShape shape, int64_t m, int64_t cols, int64_t groups) {
  const int64_t big = int64_t(1) << 20;
  const int64_t tiles = ((m + tile_rows(shape) - 1) / tile_rows(shape)) * ((cols + tile_cols(shape) - 1) / tile_cols(shape));
  return std::min(tiles, big) * std::min(groups, big);
}

// Grids aim at about kBlocksPerSm blocks per SM (tile choice, split-K).
constexpr int64_t kBlocksPerSm = 2;

int64_t target_blocks(const char* op, int device) {
  int sms = 0;
  GRAFT_CUDA_CHECK(op, cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return kBlocksPerSm * sms;
}

// GRAFT_CONV_TILE=64x64|64x128|128x128 puts every convolution on that tile (so the tests run each tile
// on small problems, and a GPU's user can time them against each other); unset or empty, choose_tile()
// decides. Read at every call.
bool forced_tile(const char* op, TileShape& shape) {
  const char* value = std::getenv("GRAFT_CONV_TILE");
  if (value == nullptr || value[0] == '\0') return false;
  for (TileShape candidate : kTileShapes)
    if (tile_name(candidate) == value) return shape = candidate, true;
  throw Error(std::string(op) + ": GRAFT_CONV_TILE is '" + value + "'; expected 64x64, 64x128 or 128x128 (or unset)");
}

// The tile for an m x cols output in `groups` groups: the widest whose 128-wide sides the output fills
// past halfway (128 rows need m > 64, 128 columns cols > 64) and whose grid still gives the GPU
// target_blocks(); else 64x64. With `split_fills` (a backward weight deep enough to split, which fills
// the GPU by its depth instead) the widest the output fills. Like the split, this depends only on the
// shape and the SM count; and no tile changes a result's bits (see Tile).
TileShape choose_tile(const char* op, int device, int64_t m, int64_t cols, int64_t groups, bool split_fills) {
  TileShape shape = TileShape::k64x64;
  if (forced_tile(op, shape)) return shape;
  const int64_t target = target_blocks(op, device);
  for (TileShape candidate : kTileShapes) {
    if ((tile_rows(candidate) > 64 && m <= 64) || (tile_cols(candidate) > 64 && cols <= 64)) continue;
    if (split_fills || grid_blocks(candidate, m, cols, groups) >= target) return candidate;
  }
  return TileShape::k64x64;
}

template <typename Problem, typename T>
void launch_tile(const char* op, const Problem& pr, int64_t m, int64_t cols, int64_t groups, Precision precision,
                 cudaStream_t stream) {
  const int64_t tiles_m = (m + T::kRows - 1) / T::kRows, tiles_n = (cols + T::kCols - 1) / T::kCols;
  if (tiles_m > 65535 || tiles_n > (int64_t(1) << 31) - 1) throw Error(std::string(op) + ": the problem is too large for one launch");
  const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
                  static_cast<unsigned>(groups < 65535 ? groups : 65535));
  if (precision == Precision::Float32) {
    implicit_gemm_kernel<Problem, T><<<grid, kThreads, 0, stream>>>(pr, groups);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_kernel);
  } else if (precision == Precision::Tf32) {
    implicit_gemm_mma_kernel<Problem, T, false><<<grid, kThreads, 0, stream>>>(pr, groups);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_mma_kernel);
  } else {
    implicit_gemm_mma_kernel<Problem, T, true><<<grid, kThreads, 0, stream>>>(pr, groups);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_mma_kernel);
  }
}

template <typename Problem>
void launch(const char* op, const Problem& pr, int64_t m, int64_t cols, int64_t groups, Precision precision,
            TileShape shape, cudaStream_t stream) {
  if (m == 0 || cols == 0 || groups == 0) return;
  with_tile(shape, [&](auto tile) { launch_tile<Problem, decltype(tile)>(op, pr, m, cols, groups, precision, stream); });
}

// Split-K for backward weight: enough blocks for target_blocks(), each split at least kMinSplitDepth deep
// (a multiple of kStep, so every split but the last is whole steps).
constexpr int64_t kMinSplitDepth = 4096, kSumThreads = 256;

struct DepthSplit {
  int64_t splits, chunk;  // split s covers depth [s*chunk, min((s+1)*chunk, depth))
};

// From the shape and the device's SM count only: `blocks` is the unsplit grid (output tiles x groups).
DepthSplit depth_split(const char* op, int device, int64_t blocks, int64_t depth) {
  const int64_t target = target_blocks(op, device);
  if (blocks <= 0 || blocks >= target) return {1, depth};
  const int64_t wanted = std::min((target + blocks - 1) / blocks, depth / kMinSplitDepth);
  if (wanted <= 1) return {1, depth};
  const int64_t chunk = ((depth + wanted - 1) / wanted + kStep - 1) / kStep * kStep;
  return {(depth + chunk - 1) / chunk, chunk};  // (splits - 1) * chunk < depth: no split is empty
}

// dw (K, Cg*R*S) through split.splits partial GEMMs and their fixed-order sum.
template <typename I>
void backward_weight_split(const char* op, BackwardWeight<I> whole, int64_t groups, DepthSplit split, float* dw,
                           Precision precision, TileShape shape, int device, cudaStream_t stream) {
  const int64_t kg = whole.d.kg, cols = int64_t(whole.d.cg) * whole.d.r * whole.d.s, count = groups * kg * cols;
  const DeviceScratch<float> partial(op, split.splits * count, device);
  whole.dw = partial.get();
  launch(op, BackwardWeightSplit<I>{whole, I(groups), I(split.chunk)}, kg, cols, split.splits * groups, precision, shape,
         stream);
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
  with_index_type(largest + 4 * kMaxTile, [&](auto index) { fn(geometry<decltype(index)>(p)); });
}

}  // namespace

void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                    Precision precision, int device) {
  const char* op = "cudaConv2dForward";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    const int64_t cols = int64_t(d.n) * d.p * d.q;
    const TileShape shape = choose_tile(op, device, d.kg, cols, p.groups, false);
    launch(op, Forward<I>{d, x, w, bias, y}, d.kg, cols, p.groups, precision, shape, stream);
  });
}

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx, Precision precision,
                          int device) {
  const char* op = "cudaConv2dBackwardData";
  cudaStream_t stream = stream_for(op, device);
  require_tensor_cores(op, precision, device);
  with_geometry(p, [&](auto d) {
    using I = decltype(d.n);
    const int64_t cols = int64_t(d.n) * d.h * d.w;
    const TileShape shape = choose_tile(op, device, d.cg, cols, p.groups, false);
    launch(op, BackwardData<I>{d, dy, w, dx}, d.cg, cols, p.groups, precision, shape, stream);
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
    const TileShape shape = choose_tile(op, device, d.kg, cols, p.groups, depth >= 2 * kMinSplitDepth);
    DepthSplit split = depth_split(op, device, grid_blocks(shape, d.kg, cols, p.groups), depth);
    // 32-bit indices must also reach every split's (zero-padded) depth and every workspace element.
    if (sizeof(I) == 4 && !narrow_indices(std::max(split.splits * split.chunk, split.splits * p.k * cols) + 4 * kMaxTile))
      split = {1, depth};
    if (split.splits == 1) launch(op, BackwardWeight<I>{d, x, dy, dw}, d.kg, cols, p.groups, precision, shape, stream);
    else backward_weight_split(op, BackwardWeight<I>{d, x, dy, nullptr}, p.groups, split, dw, precision, shape, device, stream);
  });
  if (dbias && p.k > 0) {
    bias_grad_kernel<<<BlockLine::blocks(p.k), kLineThreads, 0, stream>>>(dy, p.n, p.k, p.p() * p.q(), dbias);
    GRAFT_CUDA_CHECK_LAUNCH(op, bias_grad_kernel);
  }
}

}  // namespace graft::cuda
