// CPU reductions: x (O,R,I) -> y (O,I).
// Sums and products accumulate in double. Rows (I == 1) are cut into fixed kBlock-long pieces whose
// partials combine in piece order, and columns (I > 1) add along R in order, so the result has the
// same bits for any thread count. max/min propagate NaN; arg* return the first index (a NaN wins).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/reduce_avx2.h"
#include "graft/reduce.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kBlock = 8192;   // elements of a row summed by one task (fixed: thread-independent)
constexpr int64_t kGrain = 1 << 14;

bool additive(ReduceOp op) { return op == ReduceOp::Sum || op == ReduceOp::Mean; }

// x (n) contiguous: sum or product in double with interleaved accumulators (a fixed order per isa).
double row_accumulate(ReduceOp op, const float* x, int64_t n) {
  const bool add = additive(op);
  if (add && use_avx2()) return avx2::row_sum(x, n);
  double acc[4] = {add ? 0.0 : 1.0, add ? 0.0 : 1.0, add ? 0.0 : 1.0, add ? 0.0 : 1.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) acc[l] = add ? acc[l] + double(x[i + l]) : acc[l] * double(x[i + l]);
  for (; i < n; ++i) acc[0] = add ? acc[0] + double(x[i]) : acc[0] * double(x[i]);
  return add ? (acc[0] + acc[1]) + (acc[2] + acc[3]) : (acc[0] * acc[1]) * (acc[2] * acc[3]);
}

float finish(ReduceOp op, double acc, int64_t r) {
  if (op == ReduceOp::Mean) return r == 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(acc / double(r));
  return static_cast<float>(acc);
}

// I == 1, sum/mean/prod: tasks are (row, block) pairs; partials combine per row in block order.
void accumulate_rows(ReduceOp op, const float* x, int64_t outer, int64_t r, float* y) {
  const int64_t blocks = std::max<int64_t>(1, (r + kBlock - 1) / kBlock);
  std::vector<double> partial(static_cast<size_t>(outer * blocks));
  parallel_for(0, outer * blocks, std::max<int64_t>(1, kGrain / std::min(r + 1, kBlock)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / blocks, b = t % blocks;
      const int64_t begin = b * kBlock, end = std::min(r, begin + kBlock);
      partial[t] = row_accumulate(op, x + o * r + begin, end - begin);
    }
  });
  for (int64_t o = 0; o < outer; ++o) {
    double acc = partial[o * blocks];
    for (int64_t b = 1; b < blocks; ++b) acc = additive(op) ? acc + partial[o * blocks + b] : acc * partial[o * blocks + b];
    y[o] = finish(op, acc, r);
  }
}

// Column reductions: tasks are (o, chunk of I); each column runs along R in order.
template <typename Column>
void for_each_column_chunk(int64_t outer, int64_t r, int64_t inner, Column column) {
  constexpr int64_t kChunk = 256;  // columns per task: one double accumulator row stays in L1
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, r * kChunk)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / chunks, begin = (t % chunks) * kChunk;
      column(o, begin, std::min(inner, begin + kChunk));
    }
  });
}

void accumulate_columns(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y) {
  const bool add = additive(op), avx2 = use_avx2();
  for_each_column_chunk(outer, r, inner, [&](int64_t o, int64_t begin, int64_t end) {
    double acc[256];
    const int64_t n = end - begin;
    for (int64_t i = 0; i < n; ++i) acc[i] = add ? 0.0 : 1.0;
    for (int64_t k = 0; k < r; ++k) {
      const float* row = x + (o * r + k) * inner + begin;
      if (add && avx2) avx2::add_to_double(row, acc, n);
      else if (add) for (int64_t i = 0; i < n; ++i) acc[i] += double(row[i]);
      else for (int64_t i = 0; i < n; ++i) acc[i] *= double(row[i]);
    }
    for (int64_t i = 0; i < n; ++i) y[o * inner + begin + i] = finish(op, acc[i], r);
  });
}

// max/min along R; a NaN anywhere gives NaN. Comparisons are exact, so order does not matter.
void extreme(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y) {
  const bool max = op == ReduceOp::Max;
  for_each_column_chunk(outer, r, inner, [&](int64_t o, int64_t begin, int64_t end) {
    float best[256];
    bool nan[256];
    const int64_t n = end - begin;
    for (int64_t i = 0; i < n; ++i) { best[i] = max ? -INFINITY : INFINITY; nan[i] = false; }
    for (int64_t k = 0; k < r; ++k) {
      const float* row = x + (o * r + k) * inner + begin;
      for (int64_t i = 0; i < n; ++i) {
        const float v = row[i];
        nan[i] |= v != v;
        best[i] = max ? (v > best[i] ? v : best[i]) : (v < best[i] ? v : best[i]);
      }
    }
    for (int64_t i = 0; i < n; ++i) y[o * inner + begin + i] = nan[i] ? NAN : best[i];
  });
}

}  // namespace

void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y) {
  if (outer == 0 || inner == 0) return;
  if (op == ReduceOp::Max || op == ReduceOp::Min) return extreme(op, x, outer, r, inner, y);
  if (inner == 1) return accumulate_rows(op, x, outer, r, y);
  accumulate_columns(op, x, outer, r, inner, y);
}

void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y) {
  if (outer == 0 || inner == 0) return;
  const bool max = op == ArgReduceOp::Argmax;
  // Columns of a chunk advance together along R (rows stream through the cache); a column stops
  // changing once it has met a NaN, so the first NaN wins as in the reference.
  for_each_column_chunk(outer, r, inner, [&](int64_t o, int64_t begin, int64_t end) {
    const int64_t n = end - begin;
    const float* first = x + o * r * inner + begin;
    float best[256];
    int32_t index[256];
    for (int64_t i = 0; i < n; ++i) { best[i] = first[i]; index[i] = 0; }
    for (int64_t k = 1; k < r; ++k) {
      const float* row = first + k * inner;
      for (int64_t i = 0; i < n; ++i) {
        const float v = row[i], b = best[i];
        const bool take = b == b && (v != v || (max ? v > b : v < b));
        best[i] = take ? v : b;
        index[i] = take ? static_cast<int32_t>(k) : index[i];
      }
    }
    for (int64_t i = 0; i < n; ++i) y[o * inner + begin + i] = index[i];
  });
}

}  // namespace graft::cpu
