// AVX2+FMA softmax rows (softmax_avx2.cc): x, y, dy, dx (D) contiguous. Call only when use_avx2().
#pragma once

#include <cstdint>

namespace graft::cpu::avx2 {

void softmax_row(const float* x, int64_t d, float* y, bool log);
void softmax_backward_row(const float* y, const float* dy, int64_t d, float* dx, bool log);

}  // namespace graft::cpu::avx2
