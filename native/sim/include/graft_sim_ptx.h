// The PTX instructions of src/cuda/gemm_tiles.cuh, for the CUDA host simulator, written from their
// definitions in the PTX ISA. g = lane / 4 and t = lane % 4 below; A is MxK, B is KxN, C/D are MxN.
//   ldmatrix.sync.aligned.m8n8.x4.b16: lanes 8q..8q+7 give the addresses of rows 0..7 of matrix q
//     (16 bytes each); lane l receives in r[q] the 32-bit word l%4 of row l/4 of matrix q.
//   mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32:
//     a0 A[g][t], a1 A[g+8][t], a2 A[g][t+4], a3 A[g+8][t+4]; b0 B[t][g], b1 B[t+4][g];
//     c0 C[g][2t], c1 C[g][2t+1], c2 C[g+8][2t], c3 C[g+8][2t+1].
//   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32: each register holds two bf16, the smaller
//     column (A) or row (B) in the low half: a0 A[g][2t..], a1 A[g+8][2t..], a2 A[g][2t+8..],
//     a3 A[g+8][2t+8..]; b0 B[2t..][g], b1 B[2t+8..][g]; C as above.
//   tf32 operands: the low 13 bits of each 32-bit register are ignored.
//   cvt.rna.tf32.f32: nearest, ties away from zero, to 10 mantissa bits.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "cuda_runtime.h"

namespace graft_sim {

inline float round_tf32(float x) {
  const uint32_t u = __float_as_uint(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;  // Inf and NaN pass through
  return __uint_as_float((u + 0x1000u) & 0xffffe000u);
}

[[noreturn]] inline void require_full_warp(const char* instruction) {
  trap((std::string(instruction) + " needs all 32 lanes of the warp").c_str());
}

inline void ldmatrix_x4(uint32_t (&r)[4], const void* smem) {
  struct Lane {
    const void* row;
    uint32_t* out;
  } mine{smem, r};
  warp_collective(&mine, [](const Lane* const* lanes, unsigned int live) {
    if (live != 0xffffffffu) require_full_warp("ldmatrix");
    for (int l = 0; l < 32; ++l)
      for (int q = 0; q < 4; ++q) {
        const auto* row = static_cast<const unsigned char*>(lanes[8 * q + l / 4]->row);
        if (reinterpret_cast<uintptr_t>(row) % 16 != 0) trap("ldmatrix: a row address is not 16-byte aligned");
        std::memcpy(&lanes[l]->out[q], row + 4 * (l % 4), 4);
      }
  });
}

// D (16x8) += A (16xK) * B (Kx8) for one warp, from the fragments every lane deposits; a(l, i) and
// b(l, i) give the A and B elements lane l's registers hold, as (row, column, value) triples.
struct MmaLane {
  float* d;
  const uint32_t* a;
  uint32_t b0, b1;
};

template <int K, typename Unpack>
inline void mma_16x8(const MmaLane* const* lanes, unsigned int live, Unpack unpack) {
  if (live != 0xffffffffu) require_full_warp("mma.sync");
  float A[16][K], B[K][8], C[16][8];
  for (int l = 0; l < 32; ++l) {
    unpack(l, *lanes[l], A, B);
    const int g = l / 4, t = l % 4;
    C[g][2 * t] = lanes[l]->d[0];
    C[g][2 * t + 1] = lanes[l]->d[1];
    C[g + 8][2 * t] = lanes[l]->d[2];
    C[g + 8][2 * t + 1] = lanes[l]->d[3];
  }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float sum = C[i][j];
      for (int k = 0; k < K; ++k) sum += A[i][k] * B[k][j];  // products are exact in float
      C[i][j] = sum;
    }
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    lanes[l]->d[0] = C[g][2 * t];
    lanes[l]->d[1] = C[g][2 * t + 1];
    lanes[l]->d[2] = C[g + 8][2 * t];
    lanes[l]->d[3] = C[g + 8][2 * t + 1];
  }
}

inline void mma_tf32_16x8x8(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  const MmaLane mine{d, a, b0, b1};
  warp_collective(&mine, [](const MmaLane* const* lanes, unsigned int live) {
    mma_16x8<8>(lanes, live, [](int l, const MmaLane& lane, float (&A)[16][8], float (&B)[8][8]) {
      const int g = l / 4, t = l % 4;
      auto tf32 = [](uint32_t bits) { return __uint_as_float(bits & 0xffffe000u); };
      A[g][t] = tf32(lane.a[0]);
      A[g + 8][t] = tf32(lane.a[1]);
      A[g][t + 4] = tf32(lane.a[2]);
      A[g + 8][t + 4] = tf32(lane.a[3]);
      B[t][g] = tf32(lane.b0);
      B[t + 4][g] = tf32(lane.b1);
    });
  });
}

inline void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  const MmaLane mine{d, a, b0, b1};
  warp_collective(&mine, [](const MmaLane* const* lanes, unsigned int live) {
    mma_16x8<16>(lanes, live, [](int l, const MmaLane& lane, float (&A)[16][16], float (&B)[16][8]) {
      const int g = l / 4, t = l % 4;
      auto lo = [](uint32_t v) { return __uint_as_float(v << 16); };
      auto hi = [](uint32_t v) { return __uint_as_float(v & 0xffff0000u); };
      A[g][2 * t] = lo(lane.a[0]), A[g][2 * t + 1] = hi(lane.a[0]);
      A[g + 8][2 * t] = lo(lane.a[1]), A[g + 8][2 * t + 1] = hi(lane.a[1]);
      A[g][2 * t + 8] = lo(lane.a[2]), A[g][2 * t + 9] = hi(lane.a[2]);
      A[g + 8][2 * t + 8] = lo(lane.a[3]), A[g + 8][2 * t + 9] = hi(lane.a[3]);
      B[2 * t][g] = lo(lane.b0), B[2 * t + 1][g] = hi(lane.b0);
      B[2 * t + 8][g] = lo(lane.b1), B[2 * t + 9][g] = hi(lane.b1);
    });
  });
}

}  // namespace graft_sim
