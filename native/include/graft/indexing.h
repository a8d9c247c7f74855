// Indexing along the middle dim of contiguous views (O = outer, I = inner):
//   index_select: x (O,N,I), indices (M) -> y (O,M,I), y[o,j,:] = x[o,indices[j],:]
//   index_add:    dy (O,M,I), indices (M) -> dx (O,N,I) += at rows indices[j]   (backward of the above)
//   gather:       x (O,N,I), index (O,M,I) -> y (O,M,I), y[o,j,i] = x[o,index[o,j,i],i]
//   scatter_add:  dy (O,M,I), index (O,M,I) -> dx (O,N,I) += at dx[o,index[o,j,i],i]   (backward of gather)
//   one_hot:      labels (L) -> out (L,K), out[l,labels[l]] = 1, else 0
// Indices must already be checked to lie in [0, N) (the binding does it before anything is written).
// index_add and scatter_add add in increasing j for every destination, whatever the thread count.
#pragma once

#include <cstdint>

namespace graft {

namespace ref {
void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y);
void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx);
void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y);
void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx);
void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out);
}  // namespace ref

namespace cpu {
void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y);
void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx);
void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y);
void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx);
void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out);
}  // namespace cpu

}  // namespace graft
