// Strided N-d views for device kernels with K operands (copies, where): the shape and each operand's
// strides in elements, size-1 dims dropped and neighbouring dims merged where every operand steps
// through them as one, so most views become 1-d or 2-d loops. Host side builds it; device side maps a
// row-major linear index of the shape to each operand's element offset.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "graft/elementwise.h"
#include "graft/runtime.h"

namespace graft::cuda {

template <int K>
struct StridedGeometry {
  int ndim = 0;
  int64_t shape[kMaxElementwiseDims] = {};
  int64_t stride[K][kMaxElementwiseDims] = {};
  int64_t count = 1;  // elements of the shape
};

// Throws "<op>: ..." when the strides do not match the shape or there are too many dims.
template <int K>
StridedGeometry<K> make_geometry(const char* op, const Dims& shape, const Dims* const (&strides)[K]) {
  if (shape.size() > size_t(kMaxElementwiseDims))
    throw Error(std::string(op) + ": at most " + std::to_string(kMaxElementwiseDims) + " dims are supported");
  for (int k = 0; k < K; ++k)
    if (strides[k]->size() != shape.size()) throw Error(std::string(op) + ": every strides list needs one stride per dim");
  StridedGeometry<K> g;
  for (int64_t size : shape) g.count *= size;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = g.ndim > 0;
    for (int k = 0; k < K && merge; ++k) merge = (*strides[k])[d] * shape[d] == g.stride[k][g.ndim - 1];
    const int at = merge ? g.ndim - 1 : g.ndim++;
    g.shape[at] = merge ? g.shape[at] * shape[d] : shape[d];
    for (int k = 0; k < K; ++k) g.stride[k][at] = (*strides[k])[d];
  }
  return g;
}

// Element offsets of row-major position `linear` for every operand.
template <int K>
__device__ __forceinline__ void strided_offsets(const StridedGeometry<K>& g, int64_t linear, int64_t (&offset)[K]) {
  for (int k = 0; k < K; ++k) offset[k] = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const int64_t i = linear % g.shape[d];
    linear /= g.shape[d];
    for (int k = 0; k < K; ++k) offset[k] += i * g.stride[k][d];
  }
}

}  // namespace graft::cuda
