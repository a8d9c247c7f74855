// Internal pieces of the CPU GEMM (src/cpu/gemm.cc): packed-panel layouts, the packing routines and
// the register micro-kernels. Not part of the public kernel API.
//
// Packed layouts (MR rows, NR columns, padded with zeros past the matrix edge; 6x16 for the AVX2 and
// portable kernels, 12x32 for the AVX-512 one):
//   A sliver: op(A)[i0 : i0+MR, l0 : l0+kc] stored (kc, MR): ap[l*MR + r] = op(A)[i0+r, l0+l]
//   B sliver: op(B)[l0 : l0+kc, j0 : j0+NR] stored (kc, NR): bp[l*NR + j] = op(B)[l0+l, j0+j]
// A micro-kernel multiplies one A sliver by one B sliver into an (MR, NR) tile of C.
#pragma once

#include <cstdint>

namespace graft::cpu::gemm_detail {

constexpr int kMR = 6;   // rows of the AVX2/portable register tile
constexpr int kNR = 16;  // columns of the AVX2/portable register tile (two 8-float vectors)
constexpr int kMR512 = 12;  // rows of the AVX-512 register tile
constexpr int kNR512 = 32;  // columns of the AVX-512 register tile (two 16-float vectors)

// c (mr, nr) with row stride ldc, mr <= MR, nr <= NR:
//   c[i,j] = alpha * sum_l ap[l*MR + i] * bp[l*NR + j] + beta * c[i,j]
// The sum runs over l = 0..kc-1 in order, so every element of C sees the same operation sequence
// wherever its tile sits. beta == 0 never reads c.
using MicroKernel = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                             int mr, int nr, float alpha, float beta);

void micro_kernel_generic(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr,
                          int nr, float alpha, float beta);
// Only call when graft::use_avx2(): compiled with -mavx2 -mfma.
void micro_kernel_avx2(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr,
                       int nr, float alpha, float beta);
// 12x32 tile (kMR512 x kNR512); only call when graft::use_avx512().
void micro_kernel_avx512(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr,
                         int nr, float alpha, float beta);

// A micro-kernel with its tile and the deepest K slice it is run with (its A sliver, MR x kc, stays
// in L1 while the kernel runs along a band of B slivers; see gemm.cc).
struct KernelSpec {
  int mr, nr;
  int64_t kc;
  MicroKernel fn;
};

// Packs op(A)[i0 : i0+mr, l0 : l0+kc] (mr <= MR) into an A sliver of MR rows; a (M,K) with row
// stride lda, or (K,M) when trans.
void pack_a_sliver(const float* a, int64_t lda, bool trans, int64_t i0, int mr, int64_t l0, int64_t kc,
                   float* ap, int MR);
// Packs op(B)[l0 : l0+kc, j0 : j0+nr] (nr <= NR) into a B sliver of NR columns; b (K,N) with row
// stride ldb, or (N,K) when trans.
void pack_b_sliver(const float* b, int64_t ldb, bool trans, int64_t l0, int64_t kc, int64_t j0, int nr,
                   float* bp, int NR);

}  // namespace graft::cpu::gemm_detail
