// Softmax and log-softmax over the middle dim of a contiguous view: x (O,D,I) -> y (O,D,I).
// Numerically stable (the max along D is subtracted first). Backward takes the forward output y:
//   softmax:     dx = y * (dy - sum_D(dy * y))
//   log-softmax: dx = dy - exp(y) * sum_D(dy)
#pragma once

#include <cstdint>

namespace graft {

namespace ref {
void softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y);
void log_softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y);
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx);
void log_softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx);
}  // namespace ref

namespace cpu {
void softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y);
void log_softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y);
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx);
void log_softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx);
}  // namespace cpu

}  // namespace graft
