// Hopper's wgmma instructions (src/cuda/wgmma.cuh) for the CUDA host simulator, written from the PTX ISA:
//   wgmma.mma_async.sync.aligned.m64nNk{8,16}.f32.{tf32,bf16}: a warpgroup (4 warps, 128 threads)
//     computes D (64xN, float32) = A (64xK) * B (KxN) + D (scale-d true, as src/cuda passes it), both
//     operands K-major in shared memory, given by matrix descriptors. Thread t holds D[i] (i < N/2) at
//     row 16*(t/32) + (t%32)/4 + 8*((i/2)%2), column 8*(i/4) + 2*(t%4) + i%2.
//   Matrix descriptor (64 bits): start address >> 4 in bits 0-13, leading byte offset >> 4 in 16-29,
//     stride byte offset (SBO) >> 4 in 32-45, base offset in 49-51, swizzle mode in 62-63 (1: 128-byte).
//   K-major with the 128-, 64- or 32-byte swizzle (rows of that many bytes): row r, element k of the
//     operand sits at the address start + (r/8)*SBO + (r%8)*row_bytes + k*size, with bits 4.. of that
//     address XORed with its bits 7.. (3, 2 or 1 bits).
// Each thread computes its own N/2 outputs; the operation runs when wgmma.wait_group retires its group
// (graft_sim::wgmma_wait), so a stage refilled too early, or accumulators read before the wait, show.
// Addresses are the simulated shared window's (cuda_runtime.h: __cvta_generic_to_shared), which does not
// start dynamic shared memory on a 1024-byte boundary, so a tile the kernel did not align reads the wrong
// chunks, as it would on a GPU. Only what src/cuda uses is emulated: anything else (the unswizzled
// layout, a base offset, a K slice that crosses its swizzle row, another N) traps rather than guess.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "cuda_runtime.h"

namespace graft_sim {

enum class WgmmaType { Tf32, Bf16 };

struct WgmmaOperand {
  uint64_t start, stride;  // start address (shared window) and SBO, in bytes
  int row_bytes;           // 128, 64 or 32 by the swizzle mode

  explicit WgmmaOperand(uint64_t desc) {
    const uint64_t mode = desc >> 62;
    if (mode == 0) trap("wgmma: the simulator emulates only the swizzled layouts (descriptor bits 62-63 = 1, 2 or 3)");
    if (((desc >> 49) & 7) != 0) trap("wgmma: the simulator emulates only base offset 0");
    row_bytes = mode == 1 ? 128 : mode == 2 ? 64 : 32;
    start = (desc & 0x3fff) << 4;
    stride = ((desc >> 32) & 0x3fff) << 4;
    if (start % row_bytes + 32 > uint64_t(row_bytes)) trap("wgmma: a K slice crosses its swizzle row");
  }

  // Element k (of `size` bytes) of row r: the swizzle XORs address bits 4.. with bits 7.. (3, 2 or 1 bits).
  const unsigned char* element(int r, int k, int size) const {
    const uint64_t logical = start + uint64_t(r / 8) * stride + uint64_t(r % 8) * row_bytes + uint64_t(k) * size;
    const uint64_t mask = uint64_t(row_bytes / 16 - 1);
    return shared_window_byte(logical ^ (((logical >> 7) & mask) << 4));
  }
};

inline float wgmma_value(const unsigned char* p, WgmmaType type) {
  if (type == WgmmaType::Bf16) {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    return __uint_as_float(uint32_t(bits) << 16);
  }
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  return __uint_as_float(bits & 0xffffe000u);  // tf32: the low 13 bits are ignored
}

// d (64 x n) += a * b for n = 32, 64, 128 or 256 (d has n/2 elements per thread).
inline void wgmma_m64(int n, float* d, uint64_t desc_a, uint64_t desc_b, WgmmaType type) {
  if (n != 32 && n != 64 && n != 128 && n != 256) trap("wgmma: the simulator emulates N = 32, 64, 128 and 256");
  const unsigned int t = (threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) % 128;
  const int row0 = 16 * int(t / 32) + int(t % 32) / 4, col0 = 2 * int(t % 4);
  const WgmmaOperand a(desc_a), b(desc_b);
  const int size = type == WgmmaType::Bf16 ? 2 : 4;
  // The chunks this thread's part reads: its 2 rows of A and n/4 rows of B (K-major B^T), 32 bytes each.
  std::vector<size_t> chunks;
  auto add_row = [&](const WgmmaOperand& operand, int r) {
    for (int byte = 0; byte < 32; byte += 16) chunks.push_back(size_t(operand.element(r, byte, 1) - dynamic_shared()) / 16);
  };
  for (int h = 0; h < 2; ++h) add_row(a, row0 + 8 * h);
  for (int j = 0; j < n / 4; ++j) add_row(b, 8 * (j / 2) + col0 + j % 2);
  wgmma_defer([=] {
    const int k_count = 32 / size;
    float a_rows[2][16], b_cols[64][16];  // this thread's 2 rows of A and n/4 columns of B, read once
    for (int h = 0; h < 2; ++h)
      for (int k = 0; k < k_count; ++k) a_rows[h][k] = wgmma_value(a.element(row0 + 8 * h, k, size), type);
    for (int j = 0; j < n / 4; ++j)
      for (int k = 0; k < k_count; ++k) b_cols[j][k] = wgmma_value(b.element(8 * (j / 2) + col0 + j % 2, k, size), type);
    for (int i = 0; i < n / 2; ++i) {  // d[i]: row half (i/2)%2, column 8*(i/4) + 2*(t%4) + i%2
      const float* row = a_rows[(i / 2) % 2];
      const float* col = b_cols[2 * (i / 4) + i % 2];
      float sum = d[i];
      for (int k = 0; k < k_count; ++k) sum += row[k] * col[k];  // products are exact in float
      d[i] = sum;
    }
  }, std::move(chunks));
}

}  // namespace graft_sim
