// CPU softmax / log-softmax and backward: x, y, dy, dx (O,D,I).
// Tasks are whole (o, chunk of I) slices, so each softmax runs start to end on one thread in a fixed
// order: results do not depend on the thread count. Rows (I == 1) run along the row; columns (I > 1)
// run a chunk of up to 64 neighbouring columns together, streaming along I. AVX2 where available.
#include <algorithm>
#include <cmath>

#include "cpu/softmax_avx2.h"
#include "graft/runtime.h"
#include "graft/softmax.h"

namespace graft::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per task
constexpr int64_t kChunk = 64;       // columns of I handled together when I > 1

// Calls slice(o, begin, end) for column ranges [begin, end) of I, in parallel.
template <typename Slice>
void for_each_slice(int64_t outer, int64_t d, int64_t inner, Slice slice) {
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  const int64_t per_task = std::max<int64_t>(1, d * std::min(inner, kChunk));
  parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / per_task), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / chunks, begin = (t % chunks) * kChunk;
      slice(o, begin, std::min(inner, begin + kChunk));
    }
  });
}

// One softmax over x[k * stride], k < d (portable path).
void forward_line(const float* x, int64_t d, int64_t stride, float* y, bool log) {
  float max = -INFINITY;
  for (int64_t k = 0; k < d; ++k) max = std::fmax(max, x[k * stride]);
  if (std::isinf(max)) max = 0.0f;  // as the reference: no inf - inf here
  double sum = 0.0;
  for (int64_t k = 0; k < d; ++k) sum += std::exp(x[k * stride] - max);
  if (log) {
    const float log_sum = static_cast<float>(std::log(sum));
    for (int64_t k = 0; k < d; ++k) y[k * stride] = (x[k * stride] - max) - log_sum;
  } else {
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t k = 0; k < d; ++k) y[k * stride] = std::exp(x[k * stride] - max) * inv;
  }
}

void backward_line(const float* y, const float* dy, int64_t d, int64_t stride, float* dx, bool log) {
  double dot = 0.0;
  for (int64_t k = 0; k < d; ++k) dot += log ? double(dy[k * stride]) : double(dy[k * stride]) * double(y[k * stride]);
  const float s = static_cast<float>(dot);
  for (int64_t k = 0; k < d; ++k) {
    const int64_t at = k * stride;
    dx[at] = log ? dy[at] - std::exp(y[at]) * s : y[at] * (dy[at] - s);
  }
}

// Softmax along D of the columns [0, n) of x (D, stride): the loops run along the contiguous columns,
// one pass over D per step, so each step streams rows instead of striding down one column.
void forward_columns(const float* x, int64_t d, int64_t stride, int64_t n, float* y, bool log) {
  float max[kChunk];
  double sum[kChunk];
  for (int64_t i = 0; i < n; ++i) { max[i] = -INFINITY; sum[i] = 0.0; }
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < n; ++i) max[i] = std::fmax(max[i], x[k * stride + i]);
  for (int64_t i = 0; i < n; ++i) if (std::isinf(max[i])) max[i] = 0.0f;  // as the reference
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < n; ++i) sum[i] += std::exp(x[k * stride + i] - max[i]);
  float scale[kChunk];
  for (int64_t i = 0; i < n; ++i) scale[i] = static_cast<float>(log ? std::log(sum[i]) : 1.0 / sum[i]);
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < n; ++i) {
      const float shifted = x[k * stride + i] - max[i];
      y[k * stride + i] = log ? shifted - scale[i] : std::exp(shifted) * scale[i];
    }
}

void backward_columns(const float* y, const float* dy, int64_t d, int64_t stride, int64_t n, float* dx, bool log) {
  double dot[kChunk];
  for (int64_t i = 0; i < n; ++i) dot[i] = 0.0;
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t at = k * stride + i;
      dot[i] += log ? double(dy[at]) : double(dy[at]) * double(y[at]);
    }
  float s[kChunk];
  for (int64_t i = 0; i < n; ++i) s[i] = static_cast<float>(dot[i]);
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t at = k * stride + i;
      dx[at] = log ? dy[at] - std::exp(y[at]) * s[i] : y[at] * (dy[at] - s[i]);
    }
}

void forward(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, bool log) {
  if (outer == 0 || d == 0 || inner == 0) return;
  const bool avx2 = use_avx2();
  for_each_slice(outer, d, inner, [&](int64_t o, int64_t begin, int64_t end) {
    const int64_t base = o * d * inner + begin;
    if (inner > 1) {
      if (avx2) avx2::softmax_columns(x + base, d, inner, end - begin, y + base, log);
      else forward_columns(x + base, d, inner, end - begin, y + base, log);
      return;
    }
    if (avx2) avx2::softmax_row(x + base, d, y + base, log);
    else forward_line(x + base, d, 1, y + base, log);
  });
}

void backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx, bool log) {
  if (outer == 0 || d == 0 || inner == 0) return;
  const bool avx2 = use_avx2();
  for_each_slice(outer, d, inner, [&](int64_t o, int64_t begin, int64_t end) {
    const int64_t base = o * d * inner + begin;
    if (inner > 1) backward_columns(y + base, dy + base, d, inner, end - begin, dx + base, log);
    else if (avx2) avx2::softmax_backward_row(y + base, dy + base, d, dx + base, log);
    else backward_line(y + base, dy + base, d, 1, dx + base, log);
  });
}

}  // namespace

void softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y) { forward(x, outer, d, inner, y, false); }
void log_softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y) { forward(x, outer, d, inner, y, true); }
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx) {
  backward(y, dy, outer, d, inner, dx, false);
}
void log_softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx) {
  backward(y, dy, outer, d, inner, dx, true);
}

}  // namespace graft::cpu
