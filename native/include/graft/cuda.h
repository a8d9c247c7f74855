// The CUDA backend's device queries, device memory and streams. Built from src/cuda/ where nvcc
// exists, else from src/cuda_stub/, whose functions say the addon was built without CUDA: callers
// never need #ifdef. Kernels live in graft/cuda_ops.h.
//
// Every function that needs a device takes the calling op's name (`op`) and throws graft::Error
// "<op>: no CUDA device: <reason>" when there is none, or "<op>: <reason>" from the stub.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace graft::cuda {

struct DeviceInfo {
  int index;
  std::string name;
  int major, minor;  // compute capability
  size_t total_memory_bytes;
  int multiprocessors;
};

bool compiled();                      // true when the CUDA backend was built in
std::string runtime_version();        // e.g. "13.0", or "" when not compiled
std::vector<DeviceInfo> devices();    // empty when there is no driver or no GPU
std::string unavailable_reason();     // why devices() is empty ("" when it is not)

// Throws unless `device` names a usable GPU; makes it the calling thread's current device.
void require_device(const char* op, int device);

// ---- device memory: a caching allocator (src/cuda/allocator.cu) ------------------------------
// Sizes are rounded up to a size class (512-byte steps up to 1 MiB, then quarter powers of two);
// a freed block goes back to its class's cache, and cudaMalloc runs only on a cache miss, so a
// training step that frees and allocates the same sizes reaches a steady state with no CUDA calls.
// Every op runs on its device's one stream, so a block freed while a kernel that uses it is still
// queued can be handed out again at once: its next use is queued behind that kernel.
struct DeviceMemoryStats {
  int64_t live_bytes;          // handed out now (rounded sizes)
  int64_t peak_bytes;          // most live bytes at once since load
  int64_t cached_bytes;        // freed, kept for reuse
  int64_t live_blocks;         // blocks handed out now
  int64_t device_allocations;  // cudaMalloc calls so far (cache misses)
  int64_t cache_hits;          // allocations served from the cache
};

// The size class `bytes` falls in.
inline size_t rounded_size(size_t bytes) {
  constexpr size_t kSmallStep = 512, kSmallLimit = size_t(1) << 20;
  if (bytes <= kSmallLimit) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  size_t power = kSmallLimit;
  while (power * 2 <= bytes) power *= 2;  // largest power of two <= bytes
  const size_t step = power / 4;          // so a block wastes less than a quarter of its size
  return (bytes + step - 1) / step * step;
}
void* device_alloc(const char* op, size_t bytes, int device);  // nullptr for 0 bytes
void device_free(void* ptr);                              // back to the cache; no CUDA call
DeviceMemoryStats device_memory_stats(const char* op);
void empty_cache(const char* op);                         // cudaFree every cached block

// ---- copies and synchronisation (src/cuda/memory.cu) -----------------------------------------
// Upload returns when the host memory may be reused; download returns when `dst` holds the data
// (it synchronises the device's stream: the one place the host waits for the GPU besides
// synchronize()).
void upload(const char* op, int device, void* dst, const void* src, size_t bytes);
void download(const char* op, int device, void* dst, const void* src, size_t bytes);
void synchronize(const char* op, int device);  // device < 0: every device that has run work

}  // namespace graft::cuda
