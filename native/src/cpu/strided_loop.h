// Strided iteration shared by the CPU binary, where and copy kernels.
//
// `coalesce` drops size-1 dims and merges neighbours that every operand walks contiguously, so a
// contiguous tensor becomes one long row and a bias add becomes (rows, C) with b's row stride 0.
// `for_each_row` then calls row(ptrs..., inner length, inner strides) for every row of the last dim,
// splitting rows (or, for a single row, the row itself) across threads. Each output element is
// written by exactly one task, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "graft/elementwise.h"
#include "graft/runtime.h"

namespace graft::cpu::strided {

constexpr int64_t kGrain = 1 << 15;  // elements per task

template <int K>
struct Layout {
  std::vector<int64_t> shape;                       // coalesced, never empty
  std::array<std::vector<int64_t>, K> strides;      // per operand, same length as shape
  int64_t total = 0;
};

template <int K>
Layout<K> coalesce(const Dims& shape, const std::array<const Dims*, K>& strides) {
  Layout<K> out;
  out.total = 1;
  for (int64_t s : shape) out.total *= s;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !out.shape.empty();
    for (int k = 0; k < K && merge; ++k)
      merge = out.strides[k].back() == (*strides[k])[d] * shape[d];
    if (merge) {
      out.shape.back() *= shape[d];
      for (int k = 0; k < K; ++k) out.strides[k].back() = (*strides[k])[d];
    } else {
      out.shape.push_back(shape[d]);
      for (int k = 0; k < K; ++k) out.strides[k].push_back((*strides[k])[d]);
    }
  }
  if (out.shape.empty()) {
    out.shape.push_back(1);
    for (int k = 0; k < K; ++k) out.strides[k].push_back(0);
  }
  return out;
}

// Row(std::array<int64_t, K> offsets, int64_t length, std::array<int64_t, K> inner_strides)
template <int K, typename Row>
void for_each_row(const Layout<K>& layout, Row row) {
  if (layout.total == 0) return;
  const int64_t dims = static_cast<int64_t>(layout.shape.size());
  const int64_t inner = layout.shape[dims - 1];
  const int64_t rows = layout.total / inner;
  std::array<int64_t, K> inner_strides;
  for (int k = 0; k < K; ++k) inner_strides[k] = layout.strides[k][dims - 1];
  if (rows == 1) {
    parallel_for(0, inner, kGrain, [&](int64_t lo, int64_t hi) {
      std::array<int64_t, K> offsets;
      for (int k = 0; k < K; ++k) offsets[k] = lo * inner_strides[k];
      row(offsets, hi - lo, inner_strides);
    });
    return;
  }
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t lo, int64_t hi) {
    // Odometer over the outer dims, started at row `lo`.
    std::vector<int64_t> index(dims - 1, 0);
    std::array<int64_t, K> offsets{};
    for (int64_t d = dims - 2, rest = lo; d >= 0; --d) {
      index[d] = rest % layout.shape[d];
      rest /= layout.shape[d];
      for (int k = 0; k < K; ++k) offsets[k] += index[d] * layout.strides[k][d];
    }
    for (int64_t r = lo; r < hi; ++r) {
      row(offsets, inner, inner_strides);
      for (int64_t d = dims - 2; d >= 0; --d) {
        for (int k = 0; k < K; ++k) offsets[k] += layout.strides[k][d];
        if (++index[d] < layout.shape[d]) break;
        for (int k = 0; k < K; ++k) offsets[k] -= layout.shape[d] * layout.strides[k][d];
        index[d] = 0;
      }
    }
  });
}

}  // namespace graft::cpu::strided
