// CPU index_select and index_add: x, dx (O,N,I); y, dy (O,M,I); indices (M).
// index_add splits work by destination columns (o, chunk of I), never by j, so every dx element
// receives its additions in increasing j whatever the thread count (Embedding backward included).
#include <algorithm>
#include <cstring>

#include "graft/indexing.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {
constexpr int64_t kGrain = 1 << 14;  // elements per task
constexpr int64_t kChunk = 512;      // columns of I per index_add task
}  // namespace

void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y) {
  parallel_for(0, outer * m, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t o = row / m, j = row % m;
      std::memcpy(y + row * inner, x + (o * n + indices[j]) * inner, static_cast<size_t>(inner) * sizeof(float));
    }
  });
}

void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx) {
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  const int64_t work = std::max<int64_t>(1, m * std::min(inner, kChunk));
  parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / work), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / chunks, begin = (t % chunks) * kChunk, len = std::min(inner, begin + kChunk) - begin;
      for (int64_t j = 0; j < m; ++j) {
        const float* from = dy + (o * m + j) * inner + begin;
        float* to = dx + (o * n + indices[j]) * inner + begin;
        for (int64_t i = 0; i < len; ++i) to[i] += from[i];
      }
    }
  });
}

}  // namespace graft::cpu
