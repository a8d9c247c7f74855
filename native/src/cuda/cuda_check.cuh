// Checked CUDA calls, shared by every file in src/cuda/. A CUDA call is always checked, and the last
// error is checked after every launch; failures throw graft::Error "<op>: <what> failed: <CUDA error>".
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "graft/cuda.h"
#include "graft/runtime.h"

namespace graft::cuda {

[[noreturn]] inline void throw_cuda_error(const char* op, const char* what, cudaError_t status) {
  throw Error(std::string(op) + ": " + what + " failed: " + cudaGetErrorName(status) + " (" +
              cudaGetErrorString(status) + ")");
}

inline void check(const char* op, const char* what, cudaError_t status) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next op starts clean
    throw_cuda_error(op, what, status);
  }
}

// After every <<<...>>>: a bad launch configuration shows up here, not at the next call.
inline void check_launch(const char* op, const char* kernel_name) {
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw_cuda_error(op, kernel_name, status);
}

// The device's one stream (created on first use, non-blocking). Calls require_device first.
cudaStream_t stream_for(const char* op, int device);

// Compute capability major*10+minor of a device (require_device must have passed).
int compute_capability(int device);

// Lets `kernel` take `bytes` of dynamic shared memory on `device`: above 48 KB that must be asked for,
// which this does once per kernel and device; nothing at or below.
void allow_dynamic_shared_memory(const char* op, const void* kernel, size_t bytes, int device);

// `count` T's of scratch device memory from the caching allocator for the launches of one op, given back
// when it goes out of scope (also when a launch throws). Giving it back right after the launches are
// queued is safe: the allocator hands the block out again only to work queued behind them on the same
// stream (graft/cuda.h).
template <typename T>
class DeviceScratch {
 public:
  DeviceScratch(const char* op, int64_t count, int device)
      : data_(static_cast<T*>(device_alloc(op, static_cast<size_t>(count) * sizeof(T), device))) {}
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  ~DeviceScratch() { device_free(data_); }
  T* get() const { return data_; }

 private:
  T* data_;
};

// Blocks of `threads` covering n items, capped so a grid-stride loop covers the rest.
inline unsigned int grid_for(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned int>(blocks > 65535 * 8 ? 65535 * 8 : blocks);
}

// body(i) for every item i < n, one thread per item over a grid_for grid: the grid-stride index is
// 64-bit, and each item reaches the body as I (int32_t where the kernel's indices fit, see divide.cuh).
template <typename I, typename Body>
__device__ __forceinline__ void for_each_item(int64_t n, Body body) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    body(static_cast<I>(i));
}

}  // namespace graft::cuda

#define GRAFT_CUDA_CHECK(op, call) ::graft::cuda::check((op), #call, (call))
#define GRAFT_CUDA_CHECK_LAUNCH(op, kernel) ::graft::cuda::check_launch((op), #kernel)
