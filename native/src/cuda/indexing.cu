// CUDA indexing along the middle dim of packed views (graft/indexing.h), O = outer, I = inner:
//   index_select: x (O,N,I), indices (M) -> y (O,M,I);  index_add: dy (O,M,I) -> dx (O,N,I) +=
//   gather: x (O,N,I), index (O,M,I) -> y (O,M,I);      scatter_add: dy (O,M,I) -> dx (O,N,I) +=
//   one_hot: labels (L) -> out (L,K)
// One thread per element read or written. Indices are never copied to the host: an index outside
// [0, N) gives NaN where it would have selected and is skipped where it would have added. The adds use
// atomicAdd, so the order of additions into one destination may change between runs.
#include <cuda_runtime.h>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

#define GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void index_select_kernel(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices,
                                    int64_t m, float* y) {
  GRID_LOOP(e, outer * m * inner) {
    const int64_t i = e % inner, j = (e / inner) % m, o = e / (inner * m);
    const int32_t row = indices[j];
    y[e] = row >= 0 && row < n ? x[(o * n + row) * inner + i] : NAN;
  }
}

__global__ void index_add_kernel(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices,
                                 int64_t n, float* dx) {
  GRID_LOOP(e, outer * m * inner) {
    const int64_t i = e % inner, j = (e / inner) % m, o = e / (inner * m);
    const int32_t row = indices[j];
    if (row >= 0 && row < n) atomicAdd(dx + (o * n + row) * inner + i, dy[e]);
  }
}

__global__ void gather_kernel(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m,
                              float* y) {
  GRID_LOOP(e, outer * m * inner) {
    const int64_t i = e % inner, o = e / (inner * m);
    const int32_t row = index[e];
    y[e] = row >= 0 && row < n ? x[(o * n + row) * inner + i] : NAN;
  }
}

__global__ void scatter_add_kernel(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index,
                                   int64_t n, float* dx) {
  GRID_LOOP(e, outer * m * inner) {
    const int64_t i = e % inner, o = e / (inner * m);
    const int32_t row = index[e];
    if (row >= 0 && row < n) atomicAdd(dx + (o * n + row) * inner + i, dy[e]);
  }
}

__global__ void one_hot_kernel(const int32_t* labels, int64_t count, int64_t classes, float* out) {
  GRID_LOOP(e, count * classes) {
    const int32_t label = labels[e / classes];
    out[e] = label < 0 || label >= classes ? NAN : (label == e % classes ? 1.0f : 0.0f);
  }
}

template <typename Kernel, typename... A>
void launch(const char* op, int device, int64_t total, Kernel kernel, A... args) {
  cudaStream_t stream = stream_for(op, device);
  if (total <= 0) return;
  kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(args...);
  check_launch(op, "indexing kernel");
}

}  // namespace

void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y,
                  int device) {
  launch("cudaIndexSelect", device, outer * m * inner, index_select_kernel, x, outer, n, inner, indices, m, y);
}
void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx,
               int device) {
  launch("cudaIndexAdd", device, outer * m * inner, index_add_kernel, dy, outer, m, inner, indices, n, dx);
}
void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y,
            int device) {
  launch("cudaGather", device, outer * m * inner, gather_kernel, x, outer, n, inner, index, m, y);
}
void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx,
                 int device) {
  launch("cudaScatterAdd", device, outer * m * inner, scatter_add_kernel, dy, outer, m, inner, index, n, dx);
}
void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out, int device) {
  launch("cudaOneHot", device, count * classes, one_hot_kernel, labels, count, classes, out);
}

}  // namespace graft::cuda
