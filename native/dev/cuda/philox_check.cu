// Checks that the device Philox (src/cuda/philox.cuh) gives graft/random.h's words: on the host always,
// and on the GPU when there is one. Build and run from the repository root:
//   nvcc -std=c++17 -O2 -Inative/include -Inative/src native/dev/cuda/philox_check.cu -o /tmp/philox_check && /tmp/philox_check
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda/philox.cuh"
#include "graft/random.h"

namespace {

constexpr uint64_t kSeeds[] = {0, 1, 42, 0xFFFFFFFFull, 0x123456789ABCDEFull, ~0ull};
constexpr uint64_t kBlocks = 1 << 16;
constexpr uint64_t kBlockBase = (1ull << 32) - 100;  // crosses the low word of the counter

__global__ void philox_kernel(uint64_t seed, uint64_t base, uint64_t count, uint32_t* out) {
  const uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  if (i < count) graft::cuda::philox_block_device(seed, base + i, out + 4 * i);
}

int check_host() {
  int mismatches = 0;
  for (uint64_t seed : kSeeds)
    for (uint64_t b = 0; b < kBlocks; ++b) {
      for (uint64_t block : {b, kBlockBase + b}) {
        uint32_t want[4], got[4];
        graft::philox_block(seed, block, want);
        graft::cuda::philox_block_device(seed, block, got);
        for (int w = 0; w < 4; ++w) mismatches += want[w] != got[w];
      }
    }
  std::printf("host:   %d mismatching words of %llu\n", mismatches,
              static_cast<unsigned long long>(std::size(kSeeds) * kBlocks * 2 * 4));
  return mismatches;
}

int check_device() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("device: skipped (no CUDA device)\n");
    return 0;
  }
  int mismatches = 0;
  uint32_t* words = nullptr;
  if (cudaMalloc(&words, kBlocks * 16) != cudaSuccess) return std::printf("device: cudaMalloc failed\n"), 1;
  std::vector<uint32_t> host(kBlocks * 4);
  for (uint64_t seed : kSeeds) {
    philox_kernel<<<(kBlocks + 255) / 256, 256>>>(seed, kBlockBase, kBlocks, words);
    if (cudaGetLastError() != cudaSuccess || cudaMemcpy(host.data(), words, kBlocks * 16, cudaMemcpyDeviceToHost) != cudaSuccess)
      return std::printf("device: launch or copy failed\n"), 1;
    for (uint64_t b = 0; b < kBlocks; ++b) {
      uint32_t want[4];
      graft::philox_block(seed, kBlockBase + b, want);
      for (int w = 0; w < 4; ++w) mismatches += want[w] != host[4 * b + w];
    }
  }
  cudaFree(words);
  std::printf("device: %d mismatching words\n", mismatches);
  return mismatches;
}

}  // namespace

int main() {
  const int bad = check_host() + check_device();
  std::printf(bad == 0 ? "OK\n" : "FAILED\n");
  return bad == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
