// CPU gather, scatter_add and one_hot: x, dx (O,N,I); y, dy, index (O,M,I); labels (L), out (L,K).
// scatter_add splits work by (o, chunk of I) and walks j in order inside, so each dx element receives
// its additions in increasing j whatever the thread count.
#include <algorithm>
#include <cstring>

#include "graft/indexing.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {
constexpr int64_t kGrain = 1 << 14;  // elements per task
constexpr int64_t kChunk = 512;      // columns of I per scatter_add task
}  // namespace

void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y) {
  parallel_for(0, outer * m, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t o = row / m;
      const float* from = x + o * n * inner;
      const int32_t* idx = index + row * inner;
      float* to = y + row * inner;
      for (int64_t i = 0; i < inner; ++i) to[i] = from[idx[i] * inner + i];
    }
  });
}

void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx) {
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  const int64_t work = std::max<int64_t>(1, m * std::min(inner, kChunk));
  parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / work), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / chunks, begin = (t % chunks) * kChunk, end = std::min(inner, begin + kChunk);
      float* to = dx + o * n * inner;
      for (int64_t j = 0; j < m; ++j) {
        const int64_t row = (o * m + j) * inner;
        for (int64_t i = begin; i < end; ++i) to[index[row + i] * inner + i] += dy[row + i];
      }
    }
  });
}

void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out) {
  parallel_for(0, count, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, classes)), [&](int64_t lo, int64_t hi) {
    std::fill(out + lo * classes, out + hi * classes, 0.0f);
    for (int64_t l = lo; l < hi; ++l) out[l * classes + labels[l]] = 1.0f;
  });
}

}  // namespace graft::cpu
