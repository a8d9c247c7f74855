// Reference batch norm: x, y, dy, dx (N,C,HW); gamma, beta, running stats, saved stats (C).
// Plain loops over each channel with double accumulation, two passes (mean, then variance).
#include <cmath>

#include "graft/norm.h"

namespace graft::ref {
namespace {

inline double at(const float* p, int64_t i, double fallback) { return p ? static_cast<double>(p[i]) : fallback; }

}  // namespace

void batch_norm_train(const BatchNormTrainArgs& a) {
  const int64_t m = a.n * a.hw;
  for (int64_t c = 0; c < a.c; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) sum += a.x[(n * a.c + c) * a.hw + s];
    const double mean = m > 0 ? sum / static_cast<double>(m) : 0.0;
    double sq = 0.0;
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) {
        const double d = a.x[(n * a.c + c) * a.hw + s] - mean;
        sq += d * d;
      }
    const double var = m > 0 ? sq / static_cast<double>(m) : 0.0;
    const double invstd = 1.0 / std::sqrt(var + a.eps);
    const double g = at(a.gamma, c, 1.0), b = at(a.beta, c, 0.0);
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) {
        const int64_t i = (n * a.c + c) * a.hw + s;
        a.y[i] = static_cast<float>((a.x[i] - mean) * invstd * g + b);
      }
    a.save_mean[c] = static_cast<float>(mean);
    a.save_invstd[c] = static_cast<float>(invstd);
    if (m > 1 && a.running_mean)
      a.running_mean[c] = static_cast<float>((1.0 - a.momentum) * a.running_mean[c] + a.momentum * mean);
    if (m > 1 && a.running_var) {
      const double unbiased = sq / static_cast<double>(m - 1);
      a.running_var[c] = static_cast<float>((1.0 - a.momentum) * a.running_var[c] + a.momentum * unbiased);
    }
  }
}

void batch_norm_eval(const BatchNormEvalArgs& a) {
  for (int64_t c = 0; c < a.c; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(a.running_var[c]) + a.eps);
    const double mean = a.running_mean[c];
    const double g = at(a.gamma, c, 1.0), b = at(a.beta, c, 0.0);
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) {
        const int64_t i = (n * a.c + c) * a.hw + s;
        a.y[i] = static_cast<float>((a.x[i] - mean) * invstd * g + b);
      }
  }
}

void batch_norm_backward(const BatchNormBackwardArgs& a) {
  const int64_t m = a.n * a.hw;
  for (int64_t c = 0; c < a.c; ++c) {
    const double mean = a.save_mean[c], invstd = a.save_invstd[c], g = at(a.gamma, c, 1.0);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) {
        const int64_t i = (n * a.c + c) * a.hw + s;
        sum_dy += a.dy[i];
        sum_dy_xhat += a.dy[i] * (a.x[i] - mean) * invstd;
      }
    if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy);
    if (a.dgamma) a.dgamma[c] = static_cast<float>(sum_dy_xhat);
    if (!a.dx) continue;
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) {
        const int64_t i = (n * a.c + c) * a.hw + s;
        const double xhat = (a.x[i] - mean) * invstd;
        const double md = static_cast<double>(m);
        a.dx[i] = static_cast<float>(g * invstd / md * (md * a.dy[i] - sum_dy - xhat * sum_dy_xhat));
      }
  }
}

void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a) {
  for (int64_t c = 0; c < a.c; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(a.running_var[c]) + a.eps);
    const double g = at(a.gamma, c, 1.0);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < a.n; ++n)
      for (int64_t s = 0; s < a.hw; ++s) {
        const int64_t i = (n * a.c + c) * a.hw + s;
        sum_dy += a.dy[i];
        if (a.dgamma) sum_dy_xhat += a.dy[i] * (a.x[i] - static_cast<double>(a.running_mean[c])) * invstd;
        if (a.dx) a.dx[i] = static_cast<float>(a.dy[i] * g * invstd);
      }
    if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy);
    if (a.dgamma) a.dgamma[c] = static_cast<float>(sum_dy_xhat);
  }
}

}  // namespace graft::ref
