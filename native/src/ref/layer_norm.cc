// Reference layer norm: x, y, dy, dx (rows,D); gamma, beta, dgamma, dbeta (D); saved stats (rows).
// Plain loops with double accumulation, two passes per row.
#include <cmath>
#include <vector>

#include "graft/norm.h"

namespace graft::ref {

void layer_norm(const LayerNormArgs& a) {
  for (int64_t r = 0; r < a.rows; ++r) {
    const float* x = a.x + r * a.d;
    double sum = 0.0;
    for (int64_t j = 0; j < a.d; ++j) sum += x[j];
    const double mean = a.d > 0 ? sum / static_cast<double>(a.d) : 0.0;
    double sq = 0.0;
    for (int64_t j = 0; j < a.d; ++j) sq += (x[j] - mean) * (x[j] - mean);
    const double invstd = 1.0 / std::sqrt((a.d > 0 ? sq / static_cast<double>(a.d) : 0.0) + a.eps);
    for (int64_t j = 0; j < a.d; ++j) {
      const double g = a.gamma ? a.gamma[j] : 1.0, b = a.beta ? a.beta[j] : 0.0;
      a.y[r * a.d + j] = static_cast<float>((x[j] - mean) * invstd * g + b);
    }
    a.save_mean[r] = static_cast<float>(mean);
    a.save_invstd[r] = static_cast<float>(invstd);
  }
}

void layer_norm_backward(const LayerNormBackwardArgs& a) {
  std::vector<double> dgamma(static_cast<size_t>(a.d), 0.0), dbeta(static_cast<size_t>(a.d), 0.0);
  for (int64_t r = 0; r < a.rows; ++r) {
    const float* x = a.x + r * a.d;
    const float* dy = a.dy + r * a.d;
    const double mean = a.save_mean[r], invstd = a.save_invstd[r];
    double sum_g = 0.0, sum_g_xhat = 0.0;
    for (int64_t j = 0; j < a.d; ++j) {
      const double xhat = (x[j] - mean) * invstd;
      const double g = dy[j] * (a.gamma ? a.gamma[j] : 1.0);
      sum_g += g;
      sum_g_xhat += g * xhat;
      dgamma[j] += dy[j] * xhat;
      dbeta[j] += dy[j];
    }
    if (!a.dx) continue;
    const double d = static_cast<double>(a.d);
    for (int64_t j = 0; j < a.d; ++j) {
      const double xhat = (x[j] - mean) * invstd;
      const double g = dy[j] * (a.gamma ? a.gamma[j] : 1.0);
      a.dx[r * a.d + j] = static_cast<float>(invstd / d * (d * g - sum_g - xhat * sum_g_xhat));
    }
  }
  for (int64_t j = 0; j < a.d; ++j) {
    if (a.dgamma) a.dgamma[j] = static_cast<float>(dgamma[j]);
    if (a.dbeta) a.dbeta[j] = static_cast<float>(dbeta[j]);
  }
}

}  // namespace graft::ref
