// Reference helper: the element offset of linear index `i` (row-major over `shape`) in a strided view.
#pragma once

#include <cstdint>

#include "graft/elementwise.h"

namespace graft::ref {

inline int64_t total_elements(const Dims& shape) {
  int64_t total = 1;
  for (int64_t s : shape) total *= s;
  return total;
}

inline int64_t strided_offset(int64_t i, const Dims& shape, const Dims& strides) {
  int64_t offset = 0;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    offset += (i % shape[d]) * strides[d];
    i /= shape[d];
  }
  return offset;
}

}  // namespace graft::ref
