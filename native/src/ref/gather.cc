// Reference gather, scatter_add and one_hot: x, dx (O,N,I); y, dy, index (O,M,I); labels (L), out (L,K).
#include "graft/indexing.h"

namespace graft::ref {

void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = (o * m + j) * inner + i;
        y[at] = x[(o * n + index[at]) * inner + i];
      }
}

void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = (o * m + j) * inner + i;
        dx[(o * n + index[at]) * inner + i] += dy[at];
      }
}

void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out) {
  for (int64_t l = 0; l < count; ++l)
    for (int64_t k = 0; k < classes; ++k) out[l * classes + k] = labels[l] == k ? 1.0f : 0.0f;
}

}  // namespace graft::ref
