// Strided N-d views for device kernels with K operands (copies, where, broadcasting binary ops): the
// shape and each operand's strides in elements, size-1 dims dropped and neighbouring dims merged where
// every operand steps through them as one, so most views become 1-d or 2-d loops. The host builds it;
// the device maps a row-major linear index of the shape to each operand's element offset.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "cuda/divide.cuh"
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

// What a kernel gets: the geometry with a divider by each dim's size, in index type I (int32_t when
// the shape has fewer than 2^31 elements, see with_strided_index).
template <int K, typename I>
struct StridedIndex {
  using Index = I;
  int ndim = 0;
  Divider<I> by_size[kMaxElementwiseDims];
  int64_t stride[K][kMaxElementwiseDims] = {};
  int64_t count = 1;

  // Element offsets of row-major position `linear` for every operand. The outermost coordinate is what
  // the inner dims leave of `linear`, so an n-d view costs n - 1 divisions (a 1-d view none).
  __device__ __forceinline__ void offsets(I linear, int64_t (&offset)[K]) const {
    for (int k = 0; k < K; ++k) offset[k] = 0;
    for (int d = ndim - 1; d > 0; --d) {
      const QuotientRemainder<I> at = by_size[d].divmod(linear);
      linear = at.quotient;
      for (int k = 0; k < K; ++k) offset[k] += at.remainder * stride[k][d];
    }
    if (ndim > 0)
      for (int k = 0; k < K; ++k) offset[k] += linear * stride[k][0];
  }
};

// Calls fn(StridedIndex<K, I>) for g, with I = int32_t where every linear position fits.
template <int K, typename Fn>
void with_strided_index(const StridedGeometry<K>& g, Fn fn) {
  with_index_type(g.count, [&](auto index) {
    using I = decltype(index);
    StridedIndex<K, I> s;
    s.ndim = g.ndim;
    s.count = g.count;
    for (int d = 0; d < g.ndim; ++d) {
      s.by_size[d] = Divider<I>(g.shape[d]);
      for (int k = 0; k < K; ++k) s.stride[k][d] = g.stride[k][d];
    }
    fn(s);
  });
}

}  // namespace graft::cuda
