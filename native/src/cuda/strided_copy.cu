// CUDA strided copy (graft/cuda_ops.h): src and dst (shape) views with their own strides, elements of
// 1, 2, 4 or 8 bytes copied bit for bit; one thread per element in dst's row-major order.
#include <cuda_runtime.h>

#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/strided.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T, typename I>
__global__ void strided_copy_kernel(StridedIndex<2, I> g, const T* src, T* dst) {
  for_each_item<I>(g.count, [&](I i) {
    int64_t offset[2];
    g.offsets(i, offset);
    dst[offset[1]] = src[offset[0]];
  });
}

template <typename T>
void launch(const StridedGeometry<2>& g, const void* src, void* dst, cudaStream_t stream) {
  with_strided_index(g, [&](auto index) {
    using I = typename decltype(index)::Index;
    strided_copy_kernel<T, I><<<grid_for(g.count, kThreads), kThreads, 0, stream>>>(index, static_cast<const T*>(src),
                                                                                    static_cast<T*>(dst));
    GRAFT_CUDA_CHECK_LAUNCH("cudaStridedCopy", strided_copy_kernel);
  });
}

}  // namespace

void strided_copy(const Dims& shape, const void* src, const Dims& src_strides, void* dst, const Dims& dst_strides,
                  int elem_size, int device) {
  cudaStream_t stream = stream_for("cudaStridedCopy", device);
  const Dims* const strides[2] = {&src_strides, &dst_strides};
  const StridedGeometry<2> g = make_geometry<2>("cudaStridedCopy", shape, strides);
  if (g.count == 0) return;
  switch (elem_size) {
    case 1: return launch<uint8_t>(g, src, dst, stream);
    case 2: return launch<uint16_t>(g, src, dst, stream);
    case 4: return launch<uint32_t>(g, src, dst, stream);
    case 8: return launch<uint64_t>(g, src, dst, stream);
    default: throw Error("cudaStridedCopy: element size must be 1, 2, 4 or 8 bytes, got " + std::to_string(elem_size));
  }
}

}  // namespace graft::cuda
