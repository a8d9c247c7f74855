// AVX2 sums for the reductions (reduce_avx2.cc). Call only when use_avx2().
#pragma once

#include <cstdint>

namespace graft::cpu::avx2 {

// sum of x (n) in double: four 4-lane double accumulators, combined in a fixed order.
double row_sum(const float* x, int64_t n);
// acc[i] += x[i] for i < n, in double.
void add_to_double(const float* x, double* acc, int64_t n);

}  // namespace graft::cpu::avx2
