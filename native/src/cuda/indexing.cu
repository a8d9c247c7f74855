// CUDA indexing along the middle dim of packed views (graft/indexing.h), O = outer, I = inner:
//   index_select: x (O,N,I), indices (M) -> y (O,M,I);  index_add: dy (O,M,I) -> dx (O,N,I) +=
//   gather: x (O,N,I), index (O,M,I) -> y (O,M,I);      scatter_add: dy (O,M,I) -> dx (O,N,I) +=
//   one_hot: labels (L) -> out (L,K)
// One thread per element read or written. Indices are never copied to the host: an index outside
// [0, N) gives NaN where it would have selected and is skipped where it would have added. The adds use
// atomicAdd, so the order of additions into one destination may change between runs.
#include <cuda_runtime.h>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

// Element e of an (O, M, I) view as (o, j, i), through dividers by M and I made once per launch.
template <typename I>
struct Walk {
  using Index = I;
  Divider<I> by_m, by_inner;
  __device__ __forceinline__ Coords3<I> at(I e) const { return split3(e, by_m, by_inner); }
};

template <typename I>
__global__ void index_select_kernel(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices,
                                    int64_t m, float* y, Walk<I> walk) {
  for_each_item<I>(outer * m * inner, [&](I e) {
    const Coords3<I> oji = walk.at(e);
    const int32_t row = indices[oji.mid];
    y[e] = row >= 0 && row < n ? x[(oji.outer * n + row) * inner + oji.inner] : NAN;
  });
}

template <typename I>
__global__ void index_add_kernel(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices,
                                 int64_t n, float* dx, Walk<I> walk) {
  for_each_item<I>(outer * m * inner, [&](I e) {
    const Coords3<I> oji = walk.at(e);
    const int32_t row = indices[oji.mid];
    if (row >= 0 && row < n) atomicAdd(dx + (oji.outer * n + row) * inner + oji.inner, dy[e]);
  });
}

template <typename I>
__global__ void gather_kernel(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m,
                              float* y, Walk<I> walk) {
  for_each_item<I>(outer * m * inner, [&](I e) {
    const Coords3<I> oji = walk.at(e);
    const int32_t row = index[e];
    y[e] = row >= 0 && row < n ? x[(oji.outer * n + row) * inner + oji.inner] : NAN;
  });
}

template <typename I>
__global__ void scatter_add_kernel(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index,
                                   int64_t n, float* dx, Walk<I> walk) {
  for_each_item<I>(outer * m * inner, [&](I e) {
    const Coords3<I> oji = walk.at(e);
    const int32_t row = index[e];
    if (row >= 0 && row < n) atomicAdd(dx + (oji.outer * n + row) * inner + oji.inner, dy[e]);
  });
}

// one_hot walks (L, K) as (1, L, K).
template <typename I>
__global__ void one_hot_kernel(const int32_t* labels, int64_t count, int64_t classes, float* out, Walk<I> walk) {
  for_each_item<I>(count * classes, [&](I e) {
    const Coords3<I> lk = walk.at(e);
    const int32_t label = labels[lk.mid];
    out[e] = label < 0 || label >= classes ? NAN : (label == lk.inner ? 1.0f : 0.0f);
  });
}

// Calls launch(walk, grid, stream) for `total` elements of an (O, m, inner) view, with int32_t indices
// where total fits.
template <typename Launch>
void with_walk(const char* op, int device, int64_t total, int64_t m, int64_t inner, Launch launch) {
  cudaStream_t stream = stream_for(op, device);
  if (total <= 0) return;
  with_index_type(total, [&](auto index) {
    using I = decltype(index);
    launch(Walk<I>{Divider<I>(m), Divider<I>(inner)}, grid_for(total, kThreads), stream);
    check_launch(op, "indexing kernel");
  });
}

}  // namespace

void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y,
                  int device) {
  with_walk("cudaIndexSelect", device, outer * m * inner, m, inner, [&](auto walk, unsigned grid, cudaStream_t stream) {
    using I = typename decltype(walk)::Index;
    index_select_kernel<I><<<grid, kThreads, 0, stream>>>(x, outer, n, inner, indices, m, y, walk);
  });
}
void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx,
               int device) {
  with_walk("cudaIndexAdd", device, outer * m * inner, m, inner, [&](auto walk, unsigned grid, cudaStream_t stream) {
    using I = typename decltype(walk)::Index;
    index_add_kernel<I><<<grid, kThreads, 0, stream>>>(dy, outer, m, inner, indices, n, dx, walk);
  });
}
void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y,
            int device) {
  with_walk("cudaGather", device, outer * m * inner, m, inner, [&](auto walk, unsigned grid, cudaStream_t stream) {
    using I = typename decltype(walk)::Index;
    gather_kernel<I><<<grid, kThreads, 0, stream>>>(x, outer, n, inner, index, m, y, walk);
  });
}
void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx,
                 int device) {
  with_walk("cudaScatterAdd", device, outer * m * inner, m, inner, [&](auto walk, unsigned grid, cudaStream_t stream) {
    using I = typename decltype(walk)::Index;
    scatter_add_kernel<I><<<grid, kThreads, 0, stream>>>(dy, outer, m, inner, index, n, dx, walk);
  });
}
void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out, int device) {
  with_walk("cudaOneHot", device, count * classes, count, classes, [&](auto walk, unsigned grid, cudaStream_t stream) {
    using I = typename decltype(walk)::Index;
    one_hot_kernel<I><<<grid, kThreads, 0, stream>>>(labels, count, classes, out, walk);
  });
}

}  // namespace graft::cuda
