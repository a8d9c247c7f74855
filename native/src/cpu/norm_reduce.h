// Row reductions shared by the CPU norm kernels: x, dy, w (n) float32, sums in double.
// Each call sums its n values in one fixed order (per instruction set), so a caller that splits
// work by whole rows or planes gets the same numbers for any thread count.
#pragma once

#include <cstdint>

namespace graft::cpu::norm_reduce {

// Sum of x.
double sum(const float* x, int64_t n);
// Sum of (x - mean)^2.
double sum_sq_dev(const float* x, int64_t n, double mean);
// sum_g = sum of g, sum_g_xc = sum of g*(x - mean), where g = dy*w (w == nullptr: g = dy).
void sum_grad(const float* dy, const float* w, const float* x, int64_t n, double mean, double* sum_g,
              double* sum_g_xc);

namespace avx2 {
double sum(const float* x, int64_t n);
double sum_sq_dev(const float* x, int64_t n, double mean);
void sum_grad(const float* dy, const float* w, const float* x, int64_t n, double mean, double* sum_g,
              double* sum_g_xc);
}  // namespace avx2

}  // namespace graft::cpu::norm_reduce
