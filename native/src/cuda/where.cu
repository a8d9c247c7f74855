// CUDA where (graft/elementwise.h): cond, a, b float32 strided views of `shape` (stride 0 broadcasts)
// -> out (shape) packed: out = cond != 0 ? a : b (a NaN condition counts as true, as on the CPU).
#include <cuda_runtime.h>

#include "cuda/cuda_check.cuh"
#include "cuda/strided.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

template <typename I>
__global__ void where_kernel(StridedIndex<3, I> g, const float* cond, const float* a, const float* b, float* out) {
  for_each_item<I>(g.count, [&](I i) {
    int64_t offset[3];
    g.offsets(i, offset);
    out[i] = cond[offset[0]] != 0.0f ? a[offset[1]] : b[offset[2]];
  });
}

}  // namespace

void where(const Dims& shape, const float* cond, const Dims& cond_strides, const float* a, const Dims& a_strides,
           const float* b, const Dims& b_strides, float* out, int device) {
  cudaStream_t stream = stream_for("cudaWhere", device);
  // out is packed, so its row-major position is the linear index: only the inputs need strides.
  const Dims* const strides[3] = {&cond_strides, &a_strides, &b_strides};
  const StridedGeometry<3> g = make_geometry<3>("cudaWhere", shape, strides);
  if (g.count == 0) return;
  with_strided_index(g, [&](auto index) {
    using I = typename decltype(index)::Index;
    where_kernel<I><<<grid_for(g.count, kThreads), kThreads, 0, stream>>>(index, cond, a, b, out);
    GRAFT_CUDA_CHECK_LAUNCH("cudaWhere", where_kernel);
  });
}

}  // namespace graft::cuda
