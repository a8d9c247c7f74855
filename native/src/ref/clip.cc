// Reference gradient norms and clipping: each grad g_k (sizes[k]); double accumulation in index order.
#include <algorithm>
#include <cmath>

#include "graft/optim.h"

namespace graft::ref {

double sum_of_squares(const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

double clip_grad_norm(float* const* grads, const int64_t* sizes, int64_t count, double max_norm, double norm_type) {
  double total = 0.0;
  for (int64_t k = 0; k < count; ++k)
    for (int64_t i = 0; i < sizes[k]; ++i) {
      const double v = std::fabs(static_cast<double>(grads[k][i]));
      total = std::isinf(norm_type) ? std::max(total, v) : total + std::pow(v, norm_type);
    }
  if (!std::isinf(norm_type)) total = std::pow(total, 1.0 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (!(coef >= 1.0))  // torch multiplies by clamp(coef, max=1): NaN scales too
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < sizes[k]; ++i) grads[k][i] = static_cast<float>(grads[k][i] * coef);
  return total;
}

}  // namespace graft::ref
