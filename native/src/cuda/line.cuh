// Reductions along one "line" of a contiguous (O,L,I) view: the L elements x[(o*L + k)*I + i], k < L.
// Two ways to run a line, chosen from the shape alone so results never depend on timing:
//   BlockLine:  I == 1 (rows): a block of kLineThreads takes a line; thread t visits k = t, t+256, ...
//               in order, then a fixed tree in shared memory combines the threads' partials.
//   ThreadLine: I > 1 (columns): one thread takes a line and walks k in order; neighbouring threads
//               take neighbouring i, so every load is coalesced.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace graft::cuda {

constexpr int kLineThreads = 256;

struct BlockLine {
  static __device__ __forceinline__ int64_t first() { return threadIdx.x; }
  static __device__ __forceinline__ int64_t step() { return kLineThreads; }
  static __device__ __forceinline__ int64_t line() { return blockIdx.x; }
  static __device__ __forceinline__ int64_t line_step() { return gridDim.x; }
  // Every thread gets the combination of all threads' values, in a fixed tree order.
  template <typename T, typename Combine>
  static __device__ T all(T value, Combine combine) {
    __shared__ T partial[kLineThreads];
    partial[threadIdx.x] = value;
    __syncthreads();
    for (int width = kLineThreads / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) partial[threadIdx.x] = combine(partial[threadIdx.x], partial[threadIdx.x + width]);
      __syncthreads();
    }
    const T total = partial[0];
    __syncthreads();  // the next call may overwrite partial[]
    return total;
  }
  static unsigned int blocks(int64_t lines) { return static_cast<unsigned int>(lines < 65535 * 8 ? lines : 65535 * 8); }
};

struct ThreadLine {
  static __device__ __forceinline__ int64_t first() { return 0; }
  static __device__ __forceinline__ int64_t step() { return 1; }
  static __device__ __forceinline__ int64_t line() { return blockIdx.x * int64_t(kLineThreads) + threadIdx.x; }
  static __device__ __forceinline__ int64_t line_step() { return int64_t(gridDim.x) * kLineThreads; }
  template <typename T, typename Combine>
  static __device__ T all(T value, Combine) { return value; }
  static unsigned int blocks(int64_t lines) {
    const int64_t b = (lines + kLineThreads - 1) / kLineThreads;
    return static_cast<unsigned int>(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
  }
};

// Calls visit(i) for the element index i of the block thread's share (BlockLine: k = begin + thread,
// + kLineThreads, ...) of channel c's values [begin, end) in an (N, channels, hw) tensor, in order: value
// k of a channel lives at ((k / hw) * channels + c) * hw + k % hw; the plane and offset are carried from
// one visit to the next instead of divided out each time.
template <typename Visit>
__device__ void for_channel_range(int64_t c, int64_t channels, int64_t hw, int64_t begin, int64_t end, Visit visit) {
  int64_t k = begin + threadIdx.x;
  if (k >= end) return;
  int64_t plane = k / hw, offset = k % hw;
  for (; k < end; k += kLineThreads) {
    visit((plane * channels + c) * hw + offset);
    offset += kLineThreads;
    if (offset >= hw) {
      plane += offset / hw;
      offset %= hw;
    }
  }
}

// Line `line` of an (O,L,I) view: where it starts and the distance between its elements.
struct LineAt {
  int64_t start, stride;
  __device__ __forceinline__ LineAt(int64_t line, int64_t length, int64_t inner)
      : start((line / inner) * length * inner + line % inner), stride(inner) {}
  __device__ __forceinline__ int64_t operator[](int64_t k) const { return start + k * stride; }
};

}  // namespace graft::cuda
