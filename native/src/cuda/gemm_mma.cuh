// What the two tensor-core GEMM kernels share (gemm_mma.cu: mma.sync, any compute capability >= 8.0;
// gemm_wgmma.cu: wgmma, sm_90a): the packed operands they read, the block tile and its order, and the
// copy of one K step of a tile into shared memory. Internal to src/cuda/.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/gemm_tiles.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda::mma {

// Block tile of C, K step in bytes (32 TF32 or 64 BF16 values: one 128-byte shared row per tile row),
// threads per block, and the tile rows per group of the tile order.
constexpr int kBM = 128, kBN = 128, kRowBytes = 128, kThreads = 256, kGroupM = 8;

// The packed operands (gemm_mma.cu's pack pass): op(A) as (batch, Mp, Kp) and op(B)^T as (batch, Np, Kp),
// K-contiguous, rounded to TF32 (as float) or BF16, zero-padded to whole tiles and K steps.
struct MmaArgs {
  const void* ap;
  const void* bp;
  int64_t kp_bytes, stride_ap_bytes, stride_bp_bytes;
  int tiles_m, tiles_n;
  int64_t batch;
};

// The tile of C block `pid` computes: groups of kGroupM tile rows, column by column inside a group, so a
// group's operands stay in L2.
struct TileIndex {
  int m, n;
};
__device__ __forceinline__ TileIndex block_tile(const MmaArgs& args, int pid) {
  const int per_group = kGroupM * args.tiles_n, first_m = pid / per_group * kGroupM;
  const int group_rows = min(args.tiles_m - first_m, kGroupM);
  return {first_m + (pid % per_group) % group_rows, (pid % per_group) / group_rows};
}

// The thread's first 16-byte chunk of a tile's rows in global memory: chunk t%8 of row t/8.
__device__ __forceinline__ int64_t thread_chunk(int64_t kp_bytes, int tid) { return (tid / 8) * kp_bytes + (tid % 8) * 16; }

// Copies K step `kt` of ROWS rows (a multiple of 32) into stage buffer s (ROWS rows x 8 chunks,
// tiles::swizzle128): thread t moves chunk t%8 of rows t/8, t/8 + 32, ... g points at the thread's first
// chunk (thread_chunk); rows are kp_bytes apart in global memory.
template <int ROWS>
__device__ __forceinline__ void load_rows(unsigned char* s, const unsigned char* g, int64_t kp_bytes, int64_t kt, int tid) {
  const int64_t k_offset = kt * kRowBytes;
#pragma unroll
  for (int i = 0; i < ROWS / 32; ++i)
    tiles::cp_async16(s + tiles::swizzle128(tid / 8 + i * 32, tid % 8) * 16, g + i * 32 * kp_bytes + k_offset);
}

// K step `kt` of the block's 128 A rows and 128 B rows into stage buffers sa and sb.
__device__ __forceinline__ void load_stage(unsigned char* sa, unsigned char* sb, const unsigned char* ga,
                                           const unsigned char* gb, int64_t kp_bytes, int64_t kt, int tid) {
  load_rows<kBM>(sa, ga, kp_bytes, kt, tid);
  load_rows<kBN>(sb, gb, kp_bytes, kt, tid);
}

// C[i][j] = alpha*v (+ beta*C[i][j] unless beta == 0, which never reads C), inside C only.
__device__ __forceinline__ void store_c(const GemmParams& p, float* C, int64_t i, int64_t j, float v) {
  if (i >= p.m || j >= p.n) return;
  float* out = C + i * p.ldc + j;
  *out = p.beta == 0.0f ? p.alpha * v : p.alpha * v + p.beta * *out;
}

// The wgmma kernels (gemm_wgmma.cu, conv2d_wgmma.cuh). wgmma_chosen: whether `device` runs them, which
// needs compute capability 9.0 and this build's sm_90a code; GRAFT_WGMMA=0 turns them off (the mma.sync
// kernels run instead), =1 makes their absence an error; errors name `op`. Read at every call.
bool wgmma_chosen(const char* op, int device);

// The columns of the GEMM's block tile: 128 for the mma.sync kernel; 128 or 256 for the wgmma one, 256
// where a (batch x m x n) product still makes a block of 128x256 for every SM (a wider tile reads less
// shared memory per multiply-add, so it pays once the GPU is full anyway). GRAFT_GEMM_TILE=128x128|128x256
// forces one (128x256 only on the wgmma kernel); any other value is an error naming it.
int gemm_tile_cols(const char* op, int device, bool wgmma, int64_t m, int64_t n, int64_t batch);

// The product of packed operands (padded to whole tiles of kBM x tile_cols) into c on the wgmma kernel.
template <bool BF16>
void multiply_wgmma(const MmaArgs& args, int tile_cols, const GemmParams& p, float* c, int device, cudaStream_t stream);

}  // namespace graft::cuda::mma
