// Reference index_select and index_add: x, dx (O,N,I); y, dy (O,M,I); indices (M).
#include "graft/indexing.h"

namespace graft::ref {

void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t i = 0; i < inner; ++i) y[(o * m + j) * inner + i] = x[(o * n + indices[j]) * inner + i];
}

void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t i = 0; i < inner; ++i) dx[(o * n + indices[j]) * inner + i] += dy[(o * m + j) * inner + i];
}

}  // namespace graft::ref
