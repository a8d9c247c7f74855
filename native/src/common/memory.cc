// Aligned host memory with live and peak byte counts.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <new>

#include "graft/runtime.h"

namespace graft {
namespace {
constexpr size_t kAlignment = 64;  // a cache line, and enough for any AVX load
std::atomic<int64_t> g_live_bytes{0}, g_peak_bytes{0}, g_live_buffers{0}, g_total{0};

// A training step frees and re-makes the same activation buffers every step. glibc's defaults give
// large blocks back to the kernel (munmap, heap trimming) as soon as they are freed, so every step paid
// again for fresh zeroed pages (~37,000 page faults per ResNet-20 step at batch 128). Keep up to 32 MiB
// blocks (glibc's maximum) in the heap and trim only beyond 1 GiB free; live and peak counts are unchanged.
void tune_allocator_once() {
#if defined(__GLIBC__)
  static const bool tuned = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)tuned;
#endif
}
}  // namespace

// Buffers come from plain malloc, over-allocated by one line and aligned by hand (the pointer malloc
// returned sits just before the aligned block). aligned_alloc is avoided on purpose: in a Node process
// glibc's memalign path did not reuse freed blocks for same-size requests, so a training loop that
// frees every buffer it makes still grew its RSS by the size of each step's tensors.
void* host_alloc(size_t bytes) {
  tune_allocator_once();
  void* raw = std::malloc(bytes + kAlignment + sizeof(void*));
  if (!raw) throw Error("host_alloc: out of memory allocating " + std::to_string(bytes) + " bytes");
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw) + sizeof(void*);
  void* ptr = reinterpret_cast<void*>((start + kAlignment - 1) & ~uintptr_t(kAlignment - 1));
  static_cast<void**>(ptr)[-1] = raw;
  int64_t live = g_live_bytes.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  int64_t peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
  g_live_buffers.fetch_add(1);
  g_total.fetch_add(1);
  return ptr;
}

void host_free(void* ptr, size_t bytes) {
  if (!ptr) return;
  std::free(static_cast<void**>(ptr)[-1]);
  g_live_bytes.fetch_sub(static_cast<int64_t>(bytes));
  g_live_buffers.fetch_sub(1);
}

MemoryStats host_memory_stats() {
  return MemoryStats{g_live_bytes.load(), g_peak_bytes.load(), g_live_buffers.load(), g_total.load()};
}

void reset_peak_memory() { g_peak_bytes.store(g_live_bytes.load()); }

}  // namespace graft
