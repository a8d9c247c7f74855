// Philox4x32-10 for device code: the generator of graft/random.h (whose functions are host-only),
// written so the same source also compiles for the host, where dev/cuda/philox_check.cu compares it
// with graft::philox_block word for word.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace graft::cuda {

__host__ __device__ __forceinline__ uint32_t mulhi32(uint32_t a, uint32_t b) {
#ifdef __CUDA_ARCH__
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

// The block for counter `block` under `seed`: counter (lo32(block), hi32(block), 0, 0), key (lo32(seed), hi32(seed)).
__host__ __device__ __forceinline__ void philox_block_device(uint64_t seed, uint64_t block, uint32_t out[4]) {
  uint32_t x0 = static_cast<uint32_t>(block), x1 = static_cast<uint32_t>(block >> 32), x2 = 0u, x3 = 0u;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint32_t hi0 = mulhi32(0xD2511F53u, x0), lo0 = 0xD2511F53u * x0;
    const uint32_t hi1 = mulhi32(0xCD9E8D57u, x2), lo1 = 0xCD9E8D57u * x2;
    const uint32_t y0 = hi1 ^ x1 ^ k0, y2 = hi0 ^ x3 ^ k1;
    x1 = lo1;
    x3 = lo0;
    x0 = y0;
    x2 = y2;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

}  // namespace graft::cuda
