// The implicit-GEMM convolutions on Hopper's wgmma (sm_90a; included by conv2d.cuh): the same problems,
// tiles and loaders (TileLoads) as the float32 and mma.sync kernels, with the multiply done by warpgroups
// reading both operands from shared memory.
//   - Each K step (16 depths) is stored K-major: A as kRows rows and B as kCols rows (Bᵀ), each row the
//     step's 16 values (64 bytes TF32, 32 bytes BF16) with the 64- or 32-byte swizzle (wgmma.cuh).
//   - The 2 warpgroups split the tile: a 128-row tile by rows (64 each, all columns: m64n128), a 64-row
//     one by columns (all 64 rows, half the columns each: m64n64 or m64n32).
//   - Three buffers with one barrier per step: the wgmmas of step k run while the threads store step k+1
//     (fetched into registers before them) into the next buffer, and on through the barrier and the
//     next step's loads: each warpgroup waits only for step k-1's wgmmas (wait_group 1), so after the
//     barrier the buffer of step k-1 may be written again (at step k+1, with step k+2).
// Each output's products are summed by the tensor cores in K order, 8 (TF32) or 16 (BF16) depths per
// instruction, whatever the tile.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/bf16.cuh"
#include "cuda/wgmma.cuh"

namespace graft::cuda::conv {

// One buffer's layout for tile T: A's rows, then B's, each row one K step of kValueBytes values; and the
// three buffers' dynamic shared memory (12-49 KB, with room to align).
template <typename T, bool BF16>
struct WgmmaLayout {
  static constexpr wgmma::Swizzle kSwizzle = BF16 ? wgmma::Swizzle::k32 : wgmma::Swizzle::k64;
  static constexpr int kValueBytes = BF16 ? 2 : 4, kRowBytes = kStep * kValueBytes;
  static_assert(kRowBytes == wgmma::kRowBytes<kSwizzle>, "one K step per swizzle row");
  static constexpr int kABytes = T::kRows * kRowBytes, kBufferBytes = (T::kRows + T::kCols) * kRowBytes;
  static constexpr int kAlign = 8 * kRowBytes;  // every region starts on a boundary of its 8-row groups
  static constexpr int kBuffers = 3;
  static constexpr int kSharedBytes = kBuffers * kBufferBytes + kAlign;
  // A warpgroup's share of the tile: its first row and column, and its width (the wgmma's N).
  static constexpr int kN = T::kRows == 128 ? T::kCols : T::kCols / 2;
  __device__ static int first_row(int warpgroup) { return T::kRows == 128 ? 64 * warpgroup : 0; }
  __device__ static int first_col(int warpgroup) { return T::kRows == 128 ? 0 : kN * warpgroup; }

  // Stores `value` (already rounded to TF32 or BF16) as element l of row r of a region.
  __device__ static void put(unsigned char* region, int r, int l, float value) {
    unsigned char* at = region + wgmma::swizzled<kSwizzle>(uint32_t(r * kRowBytes + l * kValueBytes));
    if (BF16) *reinterpret_cast<uint16_t*>(at) = static_cast<uint16_t>(__float_as_uint(value) >> 16);
    else *reinterpret_cast<float*>(at) = value;
  }
};

template <typename Problem, typename T, bool BF16>
__global__ void __launch_bounds__(kThreads) implicit_gemm_wgmma_kernel(Problem pr, int64_t groups) {
#if defined(GRAFT_CUDA_SIM) || defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using L = WgmmaLayout<T, BF16>;
  using Loads = TileLoads<Problem, T>;
  using I = typename Problem::Index;
#ifdef GRAFT_CUDA_SIM  // the simulator's translator rewrites extern __shared__ in .cu files only
  unsigned char* const smem_raw = ::graft_sim::dynamic_shared();
#else
  extern __shared__ __align__(128) unsigned char smem_raw[];
#endif
  unsigned char* const smem = wgmma::align_shared(smem_raw, L::kAlign);
  const int tid = threadIdx.x, warpgroup = tid / 128, t = tid % 128;
  const int wg_row = L::first_row(warpgroup), wg_col = L::first_col(warpgroup);
  const I row0 = I(blockIdx.y) * T::kRows, col0 = I(blockIdx.x) * T::kCols;
  const I m = pr.m(), cols = pr.cols(), depth = pr.depth();
  const auto round = [](float v) { return BF16 ? round_bf16(v) : tiles::round_tf32(v); };
  // The fetched elements of a step into buffer `buffer` (A rows a_row + 16u at depth a_k; B columns
  // b_col + 32v at depths b_k + 8t), as TileLoads::stash does for the other kernels.
  const auto stash = [&](const Loads& loads, const typename Loads::Fetched& f, int buffer) {
    unsigned char* a = smem + buffer * L::kBufferBytes;
    unsigned char* b = a + L::kABytes;
#pragma unroll
    for (int u = 0; u < Loads::kRowsA; ++u) L::put(a, loads.a_row + u * Loads::kRowStride, loads.a_k, f.a[u]);
#pragma unroll
    for (int s = 0; s < Loads::kDepthsB; ++s)
#pragma unroll
      for (int v = 0; v < Loads::kColsB; ++v) L::put(b, loads.b_col + v * 32, loads.b_k + s * Loads::kWarps, f.b[s][v]);
  };
  for (I g = blockIdx.z; g < groups; g += gridDim.z) {
    const Loads loads(pr, g, row0, col0, m, cols);
    float acc[L::kN / 2];
#pragma unroll
    for (int i = 0; i < L::kN / 2; ++i) acc[i] = 0.0f;
    stash(loads, loads.fetch(pr, 0, depth, round), 0);
    wgmma::fence_proxy_async();
    __syncthreads();
    int buffer = 0;  // step k's: k % 3
    for (I k0 = 0; k0 < depth; k0 += kStep, buffer = buffer == 2 ? 0 : buffer + 1) {
      const bool more = k0 + kStep < depth;
      typename Loads::Fetched next;
      if (more) next = loads.fetch(pr, k0 + kStep, depth, round);
      const unsigned char* a = smem + buffer * L::kBufferBytes + wg_row * L::kRowBytes;
      const unsigned char* b = smem + buffer * L::kBufferBytes + L::kABytes + wg_col * L::kRowBytes;
      wgmma::fence_operands(acc);
      wgmma::fence();
#pragma unroll
      for (int ks = 0; ks < L::kRowBytes; ks += 32)  // 32 bytes of K per wgmma: 8 TF32 or 16 BF16 depths
        wgmma::Mma<L::kN, BF16>::run(acc, wgmma::descriptor<L::kSwizzle>(a + ks), wgmma::descriptor<L::kSwizzle>(b + ks));
      wgmma::commit_group();
      // Into the buffer of step k-2, whose wgmmas every warpgroup retired before the last barrier.
      if (more) stash(loads, next, buffer == 2 ? 0 : buffer + 1);
      wgmma::fence_proxy_async();
      wgmma::wait_group<1>();  // step k-1's wgmmas are done
      wgmma::fence_operands(acc);
      __syncthreads();  // step k+1 is stored; no warpgroup reads step k-1's buffer any more
    }
    wgmma::wait_group<0>();
    wgmma::fence_operands(acc);
    __syncthreads();  // no warpgroup reads any buffer when the next group's first step is stored
    // Thread t of the warpgroup holds acc[i] at row 16*(t/32) + (t%32)/4 + 8*((i/2)%2), column
    // 8*(i/4) + 2*(t%4) + i%2 of the warpgroup's share.
    const I first_i = row0 + wg_row + 16 * (t / 32) + (t % 32) / 4, first_j = col0 + wg_col + 2 * (t % 4);
#pragma unroll
    for (int e = 0; e < L::kN / 2; ++e) {
      const I i = first_i + 8 * ((e / 2) % 2), j = first_j + 8 * (e / 4) + e % 2;
      if (i < m && j < cols) pr.store(g, i, j, acc[e]);
    }
  }
#else
  __trap();  // never launched: the host takes this kernel only where the device runs sm_90a code
#endif
}

}  // namespace graft::cuda::conv
