// Portable row reductions (four independent double accumulators) and the AVX2 dispatch.
#include "cpu/norm_reduce.h"

#include "graft/runtime.h"

namespace graft::cpu::norm_reduce {

double sum(const float* x, int64_t n) {
  if (use_avx2()) return avx2::sum(x, n);
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) acc[l] += x[i + l];
  for (; i < n; ++i) acc[0] += x[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

double sum_sq_dev(const float* x, int64_t n, double mean) {
  if (use_avx2()) return avx2::sum_sq_dev(x, n, mean);
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) {
      const double d = x[i + l] - mean;
      acc[l] += d * d;
    }
  for (; i < n; ++i) acc[0] += (x[i] - mean) * (x[i] - mean);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

void sum_grad(const float* dy, const float* w, const float* x, int64_t n, double mean, double* sum_g,
              double* sum_g_xc) {
  if (use_avx2()) return avx2::sum_grad(dy, w, x, n, mean, sum_g, sum_g_xc);
  double sg[4] = {0.0, 0.0, 0.0, 0.0}, sx[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) {
      const double g = w ? static_cast<double>(dy[i + l]) * w[i + l] : dy[i + l];
      sg[l] += g;
      sx[l] += g * (x[i + l] - mean);
    }
  for (; i < n; ++i) {
    const double g = w ? static_cast<double>(dy[i]) * w[i] : dy[i];
    sg[0] += g;
    sx[0] += g * (x[i] - mean);
  }
  *sum_g = (sg[0] + sg[1]) + (sg[2] + sg[3]);
  *sum_g_xc = (sx[0] + sx[1]) + (sx[2] + sx[3]);
}

}  // namespace graft::cpu::norm_reduce
