// AVX2+FMA softmax rows (softmax_avx2.cc): x, y, dy, dx (D) contiguous. Call only when use_avx2().
#pragma once

#include <cstdint>

namespace graft::cpu::avx2 {

// Returns log(sum(exp(x))) of the row (double), which cross-entropy reuses.
double softmax_row(const float* x, int64_t d, float* y, bool log);
// log(sum(exp(x))) of the row, writing nothing.
double log_sum_exp_row(const float* x, int64_t d);
// Softmax along D of the n contiguous columns of x (D, stride) -> y (D, stride).
void softmax_columns(const float* x, int64_t d, int64_t stride, int64_t n, float* y, bool log);
void softmax_backward_row(const float* y, const float* dy, int64_t d, float* dx, bool log);

}  // namespace graft::cpu::avx2
