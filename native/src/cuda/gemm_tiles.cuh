// Building blocks shared by the GEMM and implicit-GEMM conv kernels (src/cuda/gemm*.cu, conv2d*.cu):
// the internal launchers of each GEMM path, asynchronous copies, ldmatrix, and the tensor-core mma.sync
// instructions. Everything here is internal to src/cuda/.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/bf16.cuh"
#include "graft/cuda_ops.h"

#ifdef GRAFT_CUDA_SIM
#include "graft_sim_ptx.h"
#endif

namespace graft::cuda {

// Throws "<op>: precision '<p>' needs tensor cores of compute capability 8.0 or newer ..." when a TF32 or
// BF16 precision is asked of an older device; float32 always passes.
void require_tensor_cores(const char* op, Precision precision, int device);

// float32 on CUDA cores: 128x128 block tiles, 8x8 outputs per thread (src/cuda/gemm_f32.cu).
void gemm_f32(const GemmParams& p, const float* a, const float* b, float* c, cudaStream_t stream);

// TF32 or BF16 on tensor cores (src/cuda/gemm_mma.cu): the operands are first packed K-contiguous,
// rounded and zero-padded to whole tiles in a workspace, then multiplied by an mma.sync kernel fed
// through a multi-stage cp.async pipeline.
void gemm_tensor_core(const GemmParams& p, const float* a, const float* b, float* c, Precision precision,
                      int device, cudaStream_t stream);

namespace tiles {

#ifdef GRAFT_CUDA_SIM
// The host simulator (native/sim) runs these instructions from their PTX definitions.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) { graft_sim::async_copy(smem, gmem, 16); }
__device__ __forceinline__ void cp_async_commit() { graft_sim::async_commit(); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  graft_sim::async_wait(N);
}
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem) { graft_sim::ldmatrix_x4(r, smem); }
__device__ __forceinline__ void mma_tf32_16x8x8(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  graft_sim::mma_tf32_16x8x8(d, a, b0, b1);
}
__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  graft_sim::mma_bf16_16x8x16(d, a, b0, b1);
}
__device__ __forceinline__ float round_tf32(float x) { return graft_sim::round_tf32(x); }
#else
__device__ __forceinline__ uint32_t smem_address(const void* ptr) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(ptr));
}

// 16 bytes global -> shared without passing through registers (compute capability >= 8.0).
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_address(smem)), "l"(gmem));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// Four 8x8 matrices of 16-bit elements (or 8x4 of 32-bit ones): lanes 8q..8q+7 give the row addresses
// of matrix q; each lane receives row lane/4, 4-byte word lane%4 of every matrix.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_address(smem)));
}

// d (16x8, float32) += a (16x8, tf32) * b (8x8, tf32).
__device__ __forceinline__ void mma_tf32_16x8x8(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// d (16x8, float32) += a (16x16, bf16) * b (16x8, bf16).
__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// float32 rounded to the nearest TF32 (10-bit mantissa, ties away from zero), kept in a float.
__device__ __forceinline__ float round_tf32(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return __uint_as_float(r);
#else
  return x;  // never used: tensor-core precisions are refused below compute capability 8.0
#endif
}
#endif  // GRAFT_CUDA_SIM

// Two floats already rounded to BF16 as one bf16x2 register: `lo` in the low half.
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  return (__float_as_uint(lo) >> 16) | (__float_as_uint(hi) & 0xffff0000u);
}

// The m16n8 accumulator (D) fragment of the PTX ISA: in each 16x8 mma tile, a lane's element e < 4 sits
// at row lane/4 + 8*(e/2), column 2*(lane%4) + e%2. accumulator_row/col give the lane's first element;
// for_each_accumulator visits acc[mi][nj][e] of MI x NJ tiles (tile (mi, nj) at rows 16*mi, columns
// 8*nj) with its row and column offsets from that first element. Callers fold the first element into
// their base index once: adding it inside the loop instead raised the tensor-core GEMM's ptxas spills
// from 24 to 64-76 bytes.
__device__ __forceinline__ int accumulator_row(int lane) { return lane / 4; }
__device__ __forceinline__ int accumulator_col(int lane) { return (lane % 4) * 2; }
template <int MI, int NJ, typename Visit>
__device__ __forceinline__ void for_each_accumulator(const float (&acc)[MI][NJ][4], Visit visit) {
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int nj = 0; nj < NJ; ++nj)
#pragma unroll
      for (int e = 0; e < 4; ++e) visit(mi * 16 + (e / 2) * 8, nj * 8 + e % 2, acc[mi][nj][e]);
}

// Shared-memory rows of 128 bytes (eight 16-byte chunks): chunk c of row r lives at chunk c ^ (r % 8),
// so eight rows read at the same logical chunk (one ldmatrix phase) hit eight different bank groups.
__device__ __forceinline__ int swizzle128(int row, int chunk) { return row * 8 + (chunk ^ (row & 7)); }

}  // namespace tiles
}  // namespace graft::cuda
