// Reductions along one "line" of a contiguous (O,L,I) view: the L elements x[(o*L + k)*I + i], k < L.
// Three ways to run a line, chosen from the shape alone so results never depend on timing:
//   WarpLine:   I == 1 (rows) and L <= kWarpLineMax: a warp takes a line; lane t visits k = t, t+32, ...
//               in order, then a fixed butterfly of shuffles combines the lanes' partials. A block
//               holds 8 lines, so short rows (a softmax over classes) do not leave 256-thread blocks idle.
//   BlockLine:  I == 1 and longer rows: a block of kLineThreads takes a line; thread t visits
//               k = t, t+256, ... in order, then a fixed tree in shared memory combines the partials.
//   ThreadLine: I > 1 (columns): one thread takes a line and walks k in order; neighbouring threads
//               take neighbouring i, so every load is coalesced.
// Kernels are templates over the way (`Co`) and use only its members below; with_row_line picks
// WarpLine or BlockLine for rows.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

namespace graft::cuda {

constexpr int kLineThreads = 256;
constexpr int kWarpLineMax = 1024;  // longest row a warp takes (32 values per lane)

struct AddDoubles {
  __device__ double operator()(double a, double b) const { return a + b; }
};

// `value` of lane (this lane ^ lane_mask) for any trivially copyable T of whole 32-bit words: a shuffle
// per word. Every lane of the warp must call it.
template <typename T>
__device__ __forceinline__ T shuffle_xor(T value, int lane_mask) {
  static_assert(sizeof(T) % 4 == 0, "shuffle_xor moves whole 32-bit words");
  unsigned int words[sizeof(T) / 4];
  memcpy(words, &value, sizeof(T));
  for (int w = 0; w < int(sizeof(T) / 4); ++w) words[w] = __shfl_xor_sync(0xffffffffu, words[w], lane_mask);
  memcpy(&value, words, sizeof(T));
  return value;
}

struct WarpLine {
  static constexpr int kLines = kLineThreads / 32;  // lines per block
  static __device__ __forceinline__ int64_t first() { return threadIdx.x % 32; }
  static __device__ __forceinline__ int64_t step() { return 32; }
  static __device__ __forceinline__ int64_t line() { return blockIdx.x * int64_t(kLines) + threadIdx.x / 32; }
  static __device__ __forceinline__ int64_t line_step() { return int64_t(gridDim.x) * kLines; }
  // Every lane gets the combination of all lanes' values: step m combines lanes l and l^m, for
  // m = 16, 8, 4, 2, 1. With a commutative combine both lanes of a pair compute the same bits, so all
  // 32 lanes end with the same result, which depends only on the line's values.
  template <typename T, typename Combine>
  static __device__ T all(T value, Combine combine) {
    for (int lane_mask = 16; lane_mask > 0; lane_mask /= 2) value = combine(value, shuffle_xor(value, lane_mask));
    return value;
  }
  static unsigned int blocks(int64_t lines) {
    const int64_t b = (lines + kLines - 1) / kLines;
    return static_cast<unsigned int>(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
  }
};

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

// Calls fn(WarpLine{}) for rows of at most kWarpLineMax values, else fn(BlockLine{}).
template <typename Fn>
void with_row_line(int64_t length, Fn fn) {
  if (length <= kWarpLineMax) fn(WarpLine{});
  else fn(BlockLine{});
}

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
