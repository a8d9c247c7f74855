// TF32 / BF16 GEMM on tensor cores (compute capability >= 8.0): a (M,K) or (K,M), b (K,N) or (N,K),
// c (M,N), row-major, strided batches (graft/gemm.h); products accumulate in float32.
//   1. pack: op(A) -> Ap (Mp, Kp) and op(B)^T -> Bp (Np, Kp), both K-contiguous, rounded to TF32 (kept
//      as float) or BF16, zero-padded to whole tiles. This is where inputs are converted, where any
//      transpose is undone through a 32x32 shared-memory tile, and what lets the main loop run without
//      bounds checks or per-layout variants. Cost: one read and one write of A and B.
//   2. multiply. On compute capability 9.0 with this build's sm_90a code: gemm_wgmma.cu. Elsewhere, or
//      with GRAFT_WGMMA=0, here: 128x128 block tiles, 8 warps of 64x32, K in steps of 128 bytes
//      (32 TF32 / 64 BF16), fed by a STAGES-deep cp.async pipeline into 128-byte shared rows swizzled by
//      16-byte chunk (gemm_mma.cuh);
//      fragments come from ldmatrix.x4 and feed mma.sync m16n8k8 (TF32) or m16n8k16 (BF16).
//      Blocks walk the tiles in groups of 8 tile rows so a group's operands stay in L2.
// Edge tiles store only inside C; beta == 0 never reads C.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>

#include "cuda/cuda_check.cuh"
#include "cuda/gemm_mma.cuh"
#include "cuda/gemm_tiles.cuh"

namespace graft::cuda {

namespace {

using mma::kBM;
using mma::kBN;
using mma::kRowBytes;
using mma::kThreads;
using mma::MmaArgs;
#ifndef GRAFT_GEMM_MMA_STAGES
#define GRAFT_GEMM_MMA_STAGES 3  // 96 KB of shared memory: two blocks per SM on sm_90 (228 KB), one on A100 (164 KB)
#endif
#ifndef GRAFT_GEMM_MMA_MIN_BLOCKS
#define GRAFT_GEMM_MMA_MIN_BLOCKS 2
#endif
constexpr int kStages = GRAFT_GEMM_MMA_STAGES;
constexpr int kPackTile = 32;

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

__device__ __forceinline__ float to_packed(float x, float*) { return tiles::round_tf32(x); }
__device__ __forceinline__ __nv_bfloat16 to_packed(float x, __nv_bfloat16*) { return __float2bfloat16_rn(x); }

// out (batch, R, Kp) = X as (rows, k), zero outside; X is stored (rows, k) when K_CONTIGUOUS, else
// (k, rows), with row stride ld and batch stride stride. Threads 32x8; a 32x32 tile per block.
template <bool K_CONTIGUOUS, typename T>
__global__ void __launch_bounds__(256) pack_kernel(const float* x, int64_t ld, int64_t stride, int64_t rows, int64_t k,
                                                  T* out, int64_t kp, int64_t out_stride, int64_t batch) {
  __shared__ float tile[kPackTile][kPackTile + 1];  // tile[r][l]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t r0 = int64_t(blockIdx.y) * kPackTile, l0 = int64_t(blockIdx.x) * kPackTile;
  for (int64_t bi = blockIdx.z; bi < batch; bi += gridDim.z) {
    const float* X = x + bi * stride;
    for (int j = ty; j < kPackTile; j += 8) {  // reads run along the stored rows
      const int64_t r = K_CONTIGUOUS ? r0 + j : r0 + tx, l = K_CONTIGUOUS ? l0 + tx : l0 + j;
      const float v = r < rows && l < k ? (K_CONTIGUOUS ? X[r * ld + l] : X[l * ld + r]) : 0.0f;
      if (K_CONTIGUOUS) tile[j][tx] = v;
      else tile[tx][j] = v;
    }
    __syncthreads();
    T* O = out + bi * out_stride;
    for (int j = ty; j < kPackTile; j += 8) O[(r0 + j) * kp + l0 + tx] = to_packed(tile[j][tx], static_cast<T*>(nullptr));
    __syncthreads();
  }
}

// One stage: 4 K steps of 32 bytes; warp (wm, wn) multiplies its 64 rows by its 32 columns.
template <bool BF16>
__device__ __forceinline__ void compute_stage(const unsigned char* sa, const unsigned char* sb, float (&acc)[4][4][4],
                                              int wm, int wn, int lane) {
#pragma unroll
  for (int ks = 0; ks < 4; ++ks) {
    uint32_t fb[2][4];  // the warp's 32 columns for this K step; A fragments are loaded one at a time
#pragma unroll
    for (int pair = 0; pair < 2; ++pair) {
      const int row = wn * 32 + pair * 16 + lane % 8 + 8 * (lane / 16), chunk = ks * 2 + (lane / 8) % 2;
      tiles::ldmatrix_x4(fb[pair], sb + tiles::swizzle128(row, chunk) * 16);
    }
#pragma unroll
    for (int mi = 0; mi < 4; ++mi) {
      uint32_t fa[4];
      const int row = wm * 64 + mi * 16 + lane % 16, chunk = ks * 2 + lane / 16;
      tiles::ldmatrix_x4(fa, sa + tiles::swizzle128(row, chunk) * 16);
#pragma unroll
      for (int nj = 0; nj < 4; ++nj) {
        const uint32_t b0 = fb[nj / 2][(nj % 2) * 2], b1 = fb[nj / 2][(nj % 2) * 2 + 1];
        if (BF16) tiles::mma_bf16_16x8x16(acc[mi][nj], fa, b0, b1);
        else tiles::mma_tf32_16x8x8(acc[mi][nj], fa, b0, b1);
      }
    }
  }
}

template <bool BF16, int STAGES>
__global__ void __launch_bounds__(kThreads, GRAFT_GEMM_MMA_MIN_BLOCKS) gemm_mma_kernel(MmaArgs args, GemmParams p, float* c) {
#if defined(GRAFT_CUDA_SIM) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
  extern __shared__ __align__(128) unsigned char smem[];
  constexpr int kStageBytes = kBM * kRowBytes;  // per operand
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, wm = warp % 2, wn = warp / 2;
  const mma::TileIndex tile = mma::block_tile(args, blockIdx.x);
  const int tm = tile.m, tn = tile.n;
  const int64_t kt_count = args.kp_bytes / kRowBytes;
  for (int64_t batch = blockIdx.y; batch < args.batch; batch += gridDim.y) {
    const int64_t thread_offset = mma::thread_chunk(args.kp_bytes, tid);
    const auto* ga = static_cast<const unsigned char*>(args.ap) + batch * args.stride_ap_bytes +
                     int64_t(tm) * kBM * args.kp_bytes + thread_offset;
    const auto* gb = static_cast<const unsigned char*>(args.bp) + batch * args.stride_bp_bytes +
                     int64_t(tn) * kBN * args.kp_bytes + thread_offset;
    float acc[4][4][4] = {};
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
      if (s < kt_count) mma::load_stage(smem + s * 2 * kStageBytes, smem + (s * 2 + 1) * kStageBytes, ga, gb, args.kp_bytes, s, tid);
      tiles::cp_async_commit();
    }
    for (int64_t kt = 0; kt < kt_count; ++kt) {
      tiles::cp_async_wait<STAGES - 2>();
      __syncthreads();  // stage kt landed for every thread; stage kt-1 is free to refill
      const int64_t next = kt + STAGES - 1;
      const int ns = static_cast<int>(next % STAGES), cs = static_cast<int>(kt % STAGES);
      if (next < kt_count) mma::load_stage(smem + ns * 2 * kStageBytes, smem + (ns * 2 + 1) * kStageBytes, ga, gb, args.kp_bytes, next, tid);
      tiles::cp_async_commit();
      compute_stage<BF16>(smem + cs * 2 * kStageBytes, smem + (cs * 2 + 1) * kStageBytes, acc, wm, wn, lane);
    }
    tiles::cp_async_wait<0>();
    __syncthreads();  // the next batch refills stage 0
    float* C = c + batch * p.stride_c;
    const int64_t row0 = int64_t(tm) * kBM + wm * 64 + tiles::accumulator_row(lane);
    const int64_t col0 = int64_t(tn) * kBN + wn * 32 + tiles::accumulator_col(lane);
    tiles::for_each_accumulator(acc, [&](int r, int col, float v) { mma::store_c(p, C, row0 + r, col0 + col, v); });
  }
#else
  __trap();  // the host refuses tensor-core precisions below compute capability 8.0
#endif
}

template <typename T>
void pack(const float* x, bool k_contiguous, int64_t ld, int64_t stride, int64_t rows, int64_t k, T* out, int64_t rp,
          int64_t kp, int64_t batch, cudaStream_t stream) {
  const dim3 threads(kPackTile, 8), grid(static_cast<unsigned>(kp / kPackTile), static_cast<unsigned>(rp / kPackTile),
                                         static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  if (k_contiguous) pack_kernel<true, T><<<grid, threads, 0, stream>>>(x, ld, stride, rows, k, out, kp, rp * kp, batch);
  else pack_kernel<false, T><<<grid, threads, 0, stream>>>(x, ld, stride, rows, k, out, kp, rp * kp, batch);
  GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", pack_kernel);
}

template <bool BF16>
void multiply(const MmaArgs& args, bool wgmma, int tile_cols, const GemmParams& p, float* c, int device,
              cudaStream_t stream) {
  if (wgmma) return mma::multiply_wgmma<BF16>(args, tile_cols, p, c, device, stream);
  constexpr int bytes = kStages * 2 * kBM * kRowBytes;
  allow_dynamic_shared_memory("cudaGemm", reinterpret_cast<const void*>(gemm_mma_kernel<BF16, kStages>), bytes, device);
  const dim3 grid(static_cast<unsigned>(args.tiles_m * args.tiles_n),
                  static_cast<unsigned>(std::min<int64_t>(args.batch, 65535)));
  gemm_mma_kernel<BF16, kStages><<<grid, kThreads, bytes, stream>>>(args, p, c);
  GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", gemm_mma_kernel);
}

// How the operands are padded and multiplied: rows, columns and depth rounded to whole tiles and K steps,
// the kernel, and its tile's columns.
struct Plan {
  int64_t mp, np, kp;
  bool wgmma;
  int tile_cols;
};

// Packs batches [first, first+count) of A and B into the workspace and multiplies them.
template <typename T>
void run_batches(const GemmParams& p, const float* a, const float* b, float* c, int64_t first, int64_t count,
                 T* ws, const Plan& plan, int device, cudaStream_t stream) {
  const int64_t mp = plan.mp, np = plan.np, kp = plan.kp;
  T* ap = ws;
  T* bp = ws + count * mp * kp;
  pack(a + first * p.stride_a, !p.trans_a, p.lda, p.stride_a, p.m, p.k, ap, mp, kp, count, stream);
  pack(b + first * p.stride_b, p.trans_b, p.ldb, p.stride_b, p.n, p.k, bp, np, kp, count, stream);
  MmaArgs args{ap, bp, kp * int64_t(sizeof(T)), mp * kp * int64_t(sizeof(T)), np * kp * int64_t(sizeof(T)),
               static_cast<int>(mp / kBM), static_cast<int>(np / plan.tile_cols), count};
  multiply<std::is_same_v<T, __nv_bfloat16>>(args, plan.wgmma, plan.tile_cols, p, c + first * p.stride_c, device, stream);
}

template <typename T>
void gemm_packed(const GemmParams& p, const float* a, const float* b, float* c, int device, cudaStream_t stream) {
  const char* op = "cudaGemm";
  const bool wgmma = mma::wgmma_chosen(op, device);
  const int tile_cols = mma::gemm_tile_cols(op, device, wgmma, p.m, p.n, p.batch);
  const int64_t kp = round_up(p.k, kRowBytes / int64_t(sizeof(T)));
  const int64_t mp = round_up(p.m, kBM), np = round_up(p.n, tile_cols);
  const Plan plan{mp, np, kp, wgmma, tile_cols};
  if ((mp / kBM) * (np / tile_cols) > (int64_t(1) << 31) - 1 || std::max(mp, np) / kPackTile > 65535)
    throw Error("cudaGemm: m=" + std::to_string(p.m) + ", n=" + std::to_string(p.n) +
                " is too large for the tensor-core path (at most " + std::to_string(65535 * kPackTile) + " rows)");
  // Batches go through the workspace in groups of at most ~1 GiB (always at least one batch).
  const int64_t per_batch = (mp + np) * kp * int64_t(sizeof(T));
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(p.batch, (int64_t(1) << 30) / per_batch));
  const DeviceScratch<T> ws("cudaGemm", group * (mp + np) * kp, device);
  for (int64_t first = 0; first < p.batch; first += group)
    run_batches(p, a, b, c, first, std::min(group, p.batch - first), ws.get(), plan, device, stream);
}

}  // namespace

void gemm_tensor_core(const GemmParams& p, const float* a, const float* b, float* c, Precision precision,
                      int device, cudaStream_t stream) {
  if (p.k == 0) return gemm_f32(p, a, b, c, stream);  // C = beta * C: nothing to multiply
  if (precision == Precision::Bf16) gemm_packed<__nv_bfloat16>(p, a, b, c, device, stream);
  else gemm_packed<float>(p, a, b, c, device, stream);
}

}  // namespace graft::cuda
