// Bulk Philox words: AVX2 eight blocks at a time where available, the scalar block otherwise.
#include "cpu/philox.h"

#include "graft/random.h"
#include "graft/runtime.h"

namespace graft::cpu {

void philox_words(uint64_t seed, uint64_t first_block, int64_t blocks, uint32_t* words) {
  int64_t k = 0;
  if (use_avx2())
    for (; k + 8 <= blocks; k += 8) avx2::philox_blocks8(seed, first_block + k, words + 4 * k);
  for (; k < blocks; ++k) philox_block(seed, first_block + k, words + 4 * k);
}

}  // namespace graft::cpu
