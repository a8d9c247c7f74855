// Philox4x32-10 words in bulk for the CPU random kernels (the mapping is in graft/random.h).
#pragma once

#include <cstdint>

namespace graft::cpu {

// words[4*k + w] = word w of the block for counter first_block + k, k in [0, blocks).
// Uses 8 blocks per AVX2 step when graft::use_avx2(); bit-identical either way.
void philox_words(uint64_t seed, uint64_t first_block, int64_t blocks, uint32_t* words);

// Calls emit(i, word) for i in [lo, hi): element i reads stream position offset + i.
template <typename Emit>
void for_stream_words(uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, Emit emit) {
  constexpr uint64_t kTile = 256;  // blocks generated at a time (4 KiB of words)
  uint32_t words[kTile * 4];
  uint64_t g = offset + static_cast<uint64_t>(lo);
  const uint64_t end = offset + static_cast<uint64_t>(hi);
  while (g < end) {
    const uint64_t first = g / 4, last = (end - 1) / 4;
    const uint64_t blocks = last - first + 1 < kTile ? last - first + 1 : kTile;
    philox_words(seed, first, static_cast<int64_t>(blocks), words);
    const uint64_t tile_end = (first + blocks) * 4 < end ? (first + blocks) * 4 : end;
    for (; g < tile_end; ++g) emit(static_cast<int64_t>(g - offset), words[g - first * 4]);
  }
}

namespace avx2 {
// Eight consecutive blocks: words[4*k + w] for counter first_block + k, k in [0, 8).
void philox_blocks8(uint64_t seed, uint64_t first_block, uint32_t* words);
}  // namespace avx2

}  // namespace graft::cpu
