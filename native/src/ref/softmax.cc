// Reference softmax / log-softmax and their backward: x, y, dy, dx (O,D,I); double throughout.
#include <cmath>
#include <limits>

#include "graft/softmax.h"

namespace graft::ref {
namespace {

void forward(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * d * inner + i;
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < d; ++k) max = std::fmax(max, double(x[base + k * inner]));
      if (std::isinf(max)) max = 0.0;  // all -inf (or +inf present): let exp produce NaN/0 honestly
      double sum = 0.0;
      for (int64_t k = 0; k < d; ++k) sum += std::exp(double(x[base + k * inner]) - max);
      const double log_sum = std::log(sum);
      for (int64_t k = 0; k < d; ++k) {
        const double shifted = double(x[base + k * inner]) - max;
        y[base + k * inner] = static_cast<float>(log ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  }
}

void backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * d * inner + i;
      double dot = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        const int64_t at = base + k * inner;
        dot += log ? double(dy[at]) : double(dy[at]) * double(y[at]);
      }
      for (int64_t k = 0; k < d; ++k) {
        const int64_t at = base + k * inner;
        dx[at] = static_cast<float>(log ? double(dy[at]) - std::exp(double(y[at])) * dot
                                        : double(y[at]) * (double(dy[at]) - dot));
      }
    }
  }
}

}  // namespace

void softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y) {
  forward(x, outer, d, inner, y, false);
}
void log_softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y) {
  forward(x, outer, d, inner, y, true);
}
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx) {
  backward(y, dy, outer, d, inner, dx, false);
}
void log_softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx) {
  backward(y, dy, outer, d, inner, dx, true);
}

}  // namespace graft::ref
