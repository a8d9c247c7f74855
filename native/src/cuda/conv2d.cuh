// Internal to the CUDA 2-D convolutions (conv2d_forward.cu, conv2d_backward_data.cu,
// conv2d_backward_weight.cu, graft/conv2d.h): x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q), each as
// an implicit GEMM. No im2col buffer: the GEMM's tile loaders compute which input element each matrix
// entry is. Per group g:
//   forward:         y (Kg, N*P*Q)   = w (Kg, Cg*R*S)       x  cols(x) (Cg*R*S, N*P*Q)
//   backward_data:   dx (Cg, N*H*W)  = wᵀ (Cg, Kg*R*S)      x  rows(dy) (Kg*R*S, N*H*W), zero where no (p,q) maps
//   backward_weight: dw (Kg, Cg*R*S) = dy (Kg, N*P*Q)       x  cols(x)ᵀ (N*P*Q, Cg*R*S)
// Each output is one thread's float32 sum in a fixed order (K in steps of 16, depth ascending), so results
// are reproducible, and the same whichever block tile (64x64, 64x128 or 128x128, see Tile) computes them.
// Here: the index geometry, the tiles, the loaders, the float32 and mma.sync kernels (the wgmma one is in
// conv2d_wgmma.cuh) and the host's choice of tile and kernel; each op's file holds its problem (which
// operand element each matrix entry is)
// and its launches (kernel launches live in .cu files, which the simulator's translator rewrites).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "cuda/gemm_mma.cuh"
#include "cuda/gemm_tiles.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda::conv {

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

  // Fetched elements into Bs[l][j], and into As[l][i] (the float32 kernel, which reads A along its rows
  // i) or, with A_ROWS, As[i][l] (the tensor-core kernel, whose A fragments run along the depth l).
  template <bool A_ROWS, typename ATile, typename BTile>
  __device__ void stash(const Fetched& f, ATile As, BTile Bs) const {
#pragma unroll
    for (int u = 0; u < kRowsA; ++u) {
      if (A_ROWS) As[a_row + u * kRowStride][a_k] = f.a[u];
      else As[a_k][a_row + u * kRowStride] = f.a[u];
    }
#pragma unroll
    for (int t = 0; t < kDepthsB; ++t)
#pragma unroll
      for (int v = 0; v < kColsB; ++v) Bs[b_k + t * kWarps][b_col + v * 32] = f.b[t][v];
  }

  // The K loop both kernels share: multiply(As, Bs) for each K step of the whole depth, on shared tiles
  // that are double-buffered. While the block multiplies step k from one buffer, each thread fetches
  // step k+1 into registers and stores it into the other, so one barrier per step both publishes
  // step k+1 and tells every thread that step k's buffer is free again (it is next written two steps on).
  // a_tiles and b_tiles point at two buffers each (A in the layout stash<A_ROWS> writes).
  template <bool A_ROWS, typename ATiles, typename BTiles, typename Round, typename Multiply>
  __device__ void run(const Problem& pr, I depth, Round round, ATiles a_tiles, BTiles b_tiles, Multiply multiply) const {
    stash<A_ROWS>(fetch(pr, 0, depth, round), a_tiles[0], b_tiles[0]);
    __syncthreads();
    int buffer = 0;
    for (I k0 = 0; k0 < depth; k0 += kStep, buffer ^= 1) {
      const bool more = k0 + kStep < depth;
      Fetched next;
      if (more) next = fetch(pr, k0 + kStep, depth, round);
      multiply(a_tiles[buffer], b_tiles[buffer]);
      if (more) stash<A_ROWS>(next, a_tiles[buffer ^ 1], b_tiles[buffer ^ 1]);
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
    loads.template run<false>(pr, depth, same, a_tiles, b_tiles, [&](const float (*As)[kPitchA], const float (*Bs)[kPitchB]) {
#pragma unroll
      for (int l = 0; l < kStep; ++l) {
        float a[kMi], b[kNj];
        const auto unpack = [](float* to, const float* from) {  // one 16-byte shared load
          const float4 v = *reinterpret_cast<const float4*>(from);
          to[0] = v.x, to[1] = v.y, to[2] = v.z, to[3] = v.w;
        };
#pragma unroll
        for (int u = 0; u < kMi; u += 4) unpack(a + u, &As[l][strip(ty, u)]);
#pragma unroll
        for (int v = 0; v < kNj; v += 4) unpack(b + v, &Bs[l][strip(tx, v)]);
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
// the fragment layouts of the PTX ISA. A is stored row by row (As[i][l]), so a TF32 A fragment is one
// ldmatrix.x4 (rows of 20 floats, 80 bytes: the 8 rows of each ldmatrix phase fall on 8 different
// 16-byte bank groups) and a BF16 one four 8-byte loads of depth pairs (rows of 24 floats: a half-warp's
// pairs on 32 different banks). B stays [l][j]: rows of kCols + 8 floats, 8 banks apart, put a warp's
// fragment reads (4 depths x 8 columns) on 32 different banks. float32 accumulation in a fixed order.
template <typename Problem, typename T, bool BF16>
__global__ void __launch_bounds__(kThreads) implicit_gemm_mma_kernel(Problem pr, int64_t groups) {
#if defined(GRAFT_CUDA_SIM) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
  constexpr int kPitchA = BF16 ? kStep + 8 : kStep + 4, kPitchB = T::kCols + 8;
  constexpr int kWarpRows = T::kRows / 2, kWarpCols = T::kCols / 4, kMi = kWarpRows / 16, kNj = kWarpCols / 8;
  __shared__ __align__(16) float a_tiles[2][T::kRows][kPitchA];  // double-buffered (TileLoads::run)
  __shared__ __align__(16) float b_tiles[2][kStep][kPitchB];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, wm = warp % 2, wn = warp / 2;
  const int quad = lane / 4, t = lane % 4;  // the fragment coordinates (groupID, threadID_in_group)
  using I = typename Problem::Index;
  const I row0 = I(blockIdx.y) * T::kRows, col0 = I(blockIdx.x) * T::kCols;
  const I m = pr.m(), cols = pr.cols(), depth = pr.depth();
  const auto round = [](float v) { return BF16 ? round_bf16(v) : tiles::round_tf32(v); };
  for (I g = blockIdx.z; g < groups; g += gridDim.z) {
    const TileLoads<Problem, T> loads(pr, g, row0, col0, m, cols);
    float acc[kMi][kNj][4] = {};
    loads.template run<true>(pr, depth, round, a_tiles, b_tiles, [&](const float (*As)[kPitchA], const float (*Bs)[kPitchB]) {
      if (BF16) {
        uint32_t b[kNj][2];  // the warp's columns, read once per step
#pragma unroll
        for (int nj = 0; nj < kNj; ++nj) {
          const int c = wn * kWarpCols + nj * 8 + quad;
          b[nj][0] = tiles::pack_bf16(Bs[2 * t][c], Bs[2 * t + 1][c]);
          b[nj][1] = tiles::pack_bf16(Bs[2 * t + 8][c], Bs[2 * t + 9][c]);
        }
        // A[r][l], A[r][l + 1] as one bf16x2 register, from one 8-byte load (l even).
        const auto pair = [&](int r, int l) {
          const float2 v = *reinterpret_cast<const float2*>(&As[r][l]);
          return tiles::pack_bf16(v.x, v.y);
        };
#pragma unroll
        for (int mi = 0; mi < kMi; ++mi) {
          const int r = wm * kWarpRows + mi * 16 + quad;
          const uint32_t a[4] = {pair(r, 2 * t), pair(r + 8, 2 * t), pair(r, 2 * t + 8), pair(r + 8, 2 * t + 8)};
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
            // Lanes 0-15 give rows 0-15 of the mma tile at depth ks (matrices 0 and 1: a0, a1), lanes
            // 16-31 the same rows at depth ks + 4 (matrices 2 and 3: a2, a3).
            uint32_t a[4];
            tiles::ldmatrix_x4(a, &As[wm * kWarpRows + mi * 16 + lane % 16][ks + (lane / 16) * 4]);
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

}  // namespace graft::cuda::conv

#include "cuda/conv2d_wgmma.cuh"

namespace graft::cuda::conv {

// The tiles a launch can use (Tile), widest first.
enum class TileShape { k128x128, k64x128, k64x64 };

// The blocks of an m x cols output in `groups` groups, saturated at 2^40 (either factor past 2^20
// already fills any GPU).
int64_t grid_blocks(TileShape shape, int64_t m, int64_t cols, int64_t groups);

// What grids aim at: about two blocks per SM of the device (tile choice, split-K).
int64_t target_blocks(const char* op, int device);

// The tile for an m x cols output in `groups` groups: the widest whose 128-wide sides the output fills
// past halfway (128 rows need m > 64, 128 columns cols > 64) and whose grid still gives the GPU
// target_blocks(); else 64x64. With `split_fills` (a backward weight deep enough to split, which fills
// the GPU by its depth instead) the widest the output fills. Like the split, this depends only on the
// shape and the SM count; and no tile changes a result's bits (see Tile). GRAFT_CONV_TILE=64x64|64x128|
// 128x128 puts every convolution on that tile (so the tests run each tile on small problems, and a GPU's
// user can time them against each other); unset or empty, the rule decides. Read at every call; any
// other value throws, naming the op.
TileShape choose_tile(const char* op, int device, int64_t m, int64_t cols, int64_t groups, bool split_fills);

// Calls fn(Tile<...>{}) for the shape.
template <typename Fn>
void with_tile(TileShape shape, Fn fn) {
  if (shape == TileShape::k128x128) fn(Tile128x128{});
  else if (shape == TileShape::k64x128) fn(Tile64x128{});
  else fn(Tile64x64{});
}

// The implicit-GEMM kernel of a problem on tile T at a precision (TF32 and BF16 on wgmma when `wgmma`),
// and the dynamic shared memory it takes.
template <typename Problem, typename T>
struct KernelChoice {
  void (*kernel)(Problem, int64_t);
  size_t shared_bytes;
};
template <typename Problem, typename T>
KernelChoice<Problem, T> kernel_for(Precision precision, bool wgmma) {
  if (precision == Precision::Float32) return {implicit_gemm_kernel<Problem, T>, 0};
  const bool bf16 = precision == Precision::Bf16;
  if (wgmma && bf16) return {implicit_gemm_wgmma_kernel<Problem, T, true>, WgmmaLayout<T, true>::kSharedBytes};
  if (wgmma) return {implicit_gemm_wgmma_kernel<Problem, T, false>, WgmmaLayout<T, false>::kSharedBytes};
  if (bf16) return {implicit_gemm_mma_kernel<Problem, T, true>, 0};
  return {implicit_gemm_mma_kernel<Problem, T, false>, 0};
}

// Calls launch_kernel(kernel, grid, shared_bytes) once, with Problem's kernel for the precision, tile
// shape and device (wgmma where mma::wgmma_chosen says so), its grid (blockIdx.z the group) and dynamic
// shared memory, and checks the launch; nothing for an empty output. The caller's launch_kernel is the
// launch itself, `kernel<<<grid, kThreads, shared_bytes, stream>>>(problem, groups)`.
template <typename Problem, typename LaunchKernel>
void launch(const char* op, int64_t m, int64_t cols, int64_t groups, Precision precision, TileShape shape, int device,
            LaunchKernel launch_kernel) {
  if (m == 0 || cols == 0 || groups == 0) return;
  const bool wgmma = precision != Precision::Float32 && mma::wgmma_chosen(op, device);
  with_tile(shape, [&](auto tile) {
    using T = decltype(tile);
    const int64_t tiles_m = (m + T::kRows - 1) / T::kRows, tiles_n = (cols + T::kCols - 1) / T::kCols;
    if (tiles_m > 65535 || tiles_n > (int64_t(1) << 31) - 1) throw Error(std::string(op) + ": the problem is too large for one launch");
    const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
                    static_cast<unsigned>(groups < 65535 ? groups : 65535));
    const KernelChoice<Problem, T> choice = kernel_for<Problem, T>(precision, wgmma);
    allow_dynamic_shared_memory(op, reinterpret_cast<const void*>(choice.kernel), choice.shared_bytes, device);
    launch_kernel(choice.kernel, grid, choice.shared_bytes);
    GRAFT_CUDA_CHECK_LAUNCH(op, implicit_gemm_kernel);
  });
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

}  // namespace graft::cuda::conv
