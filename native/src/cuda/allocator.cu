// Caching device allocator: size-class buckets per device, cudaMalloc only on a miss, cudaFree only
// in empty_cache() or when a cudaMalloc fails for lack of memory (then the cache is released and the
// allocation retried once). See graft/cuda.h for the stream-ordering argument that makes reuse safe.
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <unordered_map>

#include "cuda/cuda_check.cuh"
#include "graft/cuda.h"

namespace graft::cuda {

namespace {

struct Block {
  size_t bytes;  // rounded size
  int device;
};

struct Allocator {
  std::mutex mutex;
  std::unordered_map<void*, Block> live;
  std::multimap<std::pair<int, size_t>, void*> cached;  // (device, rounded size) -> free blocks
  DeviceMemoryStats stats{0, 0, 0, 0, 0, 0};
};

Allocator& allocator() {
  static Allocator* a = new Allocator;  // never destroyed: cudaFree after the runtime unloads fails
  return *a;
}

// Caller holds the mutex. Frees the device's cached blocks (every device when device < 0).
void release_cached(Allocator& a, const char* op, int device) {
  for (auto it = a.cached.begin(); it != a.cached.end();) {
    if (device >= 0 && it->first.first != device) {
      ++it;
      continue;
    }
    GRAFT_CUDA_CHECK(op, cudaSetDevice(it->first.first));
    GRAFT_CUDA_CHECK(op, cudaFree(it->second));  // synchronises the device first
    a.stats.cached_bytes -= static_cast<int64_t>(it->first.second);
    it = a.cached.erase(it);
  }
}

void* malloc_or_release(Allocator& a, const char* op, size_t bytes, int device) {
  void* ptr = nullptr;
  cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    release_cached(a, op, device);
    GRAFT_CUDA_CHECK(op, cudaSetDevice(device));
    status = cudaMalloc(&ptr, bytes);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string(op) + ": cudaMalloc of " + std::to_string(bytes) + " bytes on device " +
                std::to_string(device) + " failed (" + std::to_string(a.stats.live_bytes) +
                " bytes live): " + cudaGetErrorString(status));
  }
  a.stats.device_allocations += 1;
  return ptr;
}

}  // namespace

void* device_alloc(const char* op, size_t bytes, int device) {
  require_device(op, device);
  if (bytes == 0) return nullptr;
  const size_t size = rounded_size(bytes);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  void* ptr = nullptr;
  auto hit = a.cached.find({device, size});
  if (hit != a.cached.end()) {
    ptr = hit->second;
    a.cached.erase(hit);
    a.stats.cached_bytes -= static_cast<int64_t>(size);
    a.stats.cache_hits += 1;
  } else {
    ptr = malloc_or_release(a, op, size, device);
  }
  a.live.emplace(ptr, Block{size, device});
  a.stats.live_bytes += static_cast<int64_t>(size);
  a.stats.live_blocks += 1;
  if (a.stats.live_bytes > a.stats.peak_bytes) a.stats.peak_bytes = a.stats.live_bytes;
  return ptr;
}

void device_free(void* ptr) {
  if (ptr == nullptr) return;
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  auto it = a.live.find(ptr);
  if (it == a.live.end()) return;  // not ours (or freed already): nothing to give back
  const Block block = it->second;
  a.live.erase(it);
  a.cached.emplace(std::make_pair(block.device, block.bytes), ptr);
  a.stats.live_bytes -= static_cast<int64_t>(block.bytes);
  a.stats.live_blocks -= 1;
  a.stats.cached_bytes += static_cast<int64_t>(block.bytes);
}

DeviceMemoryStats device_memory_stats(const char* op) {
  if (devices().empty()) throw Error(std::string(op) + ": no CUDA device: " + unavailable_reason());
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.stats;
}

void empty_cache(const char* op) {
  if (devices().empty()) throw Error(std::string(op) + ": no CUDA device: " + unavailable_reason());
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  int current = 0;
  GRAFT_CUDA_CHECK(op, cudaGetDevice(&current));
  release_cached(a, op, -1);
  GRAFT_CUDA_CHECK(op, cudaSetDevice(current));
}

}  // namespace graft::cuda
