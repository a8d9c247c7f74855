// Reference reductions: x (O,R,I) -> y (O,I), accumulating in double along R in order.
#include <cmath>
#include <limits>

#include "graft/reduce.h"

namespace graft::ref {

void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* col = x + o * r * inner + i;
      double acc = op == ReduceOp::Prod ? 1.0 : 0.0;
      if (op == ReduceOp::Max) acc = -std::numeric_limits<double>::infinity();
      if (op == ReduceOp::Min) acc = std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < r; ++k) {
        const double v = col[k * inner];
        switch (op) {
          case ReduceOp::Sum: case ReduceOp::Mean: acc += v; break;
          case ReduceOp::Prod: acc *= v; break;
          case ReduceOp::Max: acc = (std::isnan(v) || v > acc) ? v : acc; break;
          case ReduceOp::Min: acc = (std::isnan(v) || v < acc) ? v : acc; break;
        }
        if (std::isnan(acc) && (op == ReduceOp::Max || op == ReduceOp::Min)) break;
      }
      if (op == ReduceOp::Mean) acc = r == 0 ? std::nan("") : acc / double(r);
      y[o * inner + i] = static_cast<float>(acc);
    }
  }
}

void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* col = x + o * r * inner + i;
      int64_t best = 0;
      for (int64_t k = 0; k < r; ++k) {
        const float v = col[k * inner], b = col[best * inner];
        if (std::isnan(b)) break;  // the first NaN wins
        const bool better = op == ArgReduceOp::Argmax ? v > b : v < b;
        if (std::isnan(v) || better) best = k;
      }
      y[o * inner + i] = static_cast<int32_t>(best);
    }
  }
}

}  // namespace graft::ref
