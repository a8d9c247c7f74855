// CPU layer norm: x, y, dy, dx (rows,D); gamma, beta, dgamma, dbeta (D); saved stats (rows).
// Rows run in parallel, each reduced by one call in a fixed order. dgamma and dbeta are summed per fixed
// block of rows and the block partials combined in block order: no order depends on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/norm_reduce.h"
#include "graft/norm.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kRowBlock = 32;

int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d)); }

// dx for one row: dx = invstd*g - invstd/D*sum(g) - (x-mean)*invstd^3/D*sum(g*(x-mean)), g = dy*gamma.
void row_dx(const LayerNormBackwardArgs& a, int64_t r) {
  const float* x = a.x + r * a.d;
  const float* dy = a.dy + r * a.d;
  float* dx = a.dx + r * a.d;
  const float mean = a.save_mean[r], invstd = a.save_invstd[r];
  double sum_g = 0.0, sum_g_xc = 0.0;
  norm_reduce::sum_grad(dy, a.gamma, x, a.d, mean, &sum_g, &sum_g_xc);
  const double dd = static_cast<double>(a.d), is = invstd;
  const float k1 = static_cast<float>(-is * sum_g / dd);
  const float k2 = static_cast<float>(-is * is * is * sum_g_xc / dd);
  if (a.gamma)
    for (int64_t j = 0; j < a.d; ++j) dx[j] = invstd * (dy[j] * a.gamma[j]) + k1 + (x[j] - mean) * k2;
  else
    for (int64_t j = 0; j < a.d; ++j) dx[j] = invstd * dy[j] + k1 + (x[j] - mean) * k2;
}

// Adds one row's dy*xhat and dy into the double partials dg and db (D each).
void row_param_grads(const LayerNormBackwardArgs& a, int64_t r, double* dg, double* db) {
  const float* x = a.x + r * a.d;
  const float* dy = a.dy + r * a.d;
  const float mean = a.save_mean[r], invstd = a.save_invstd[r];
  for (int64_t j = 0; j < a.d; ++j) {
    dg[j] += static_cast<double>(dy[j]) * ((x[j] - mean) * invstd);
    db[j] += dy[j];
  }
}

}  // namespace

void layer_norm(const LayerNormArgs& a) {
  parallel_for(0, a.rows, row_grain(a.d), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const float* x = a.x + r * a.d;
      float* y = a.y + r * a.d;
      const double mean = a.d > 0 ? norm_reduce::sum(x, a.d) / static_cast<double>(a.d) : 0.0;
      const double var = a.d > 0 ? norm_reduce::sum_sq_dev(x, a.d, mean) / static_cast<double>(a.d) : 0.0;
      const float mu = static_cast<float>(mean);
      const float invstd = static_cast<float>(1.0 / std::sqrt(var + a.eps));
      a.save_mean[r] = mu;
      a.save_invstd[r] = invstd;
      if (a.gamma && a.beta)
        for (int64_t j = 0; j < a.d; ++j) y[j] = (x[j] - mu) * invstd * a.gamma[j] + a.beta[j];
      else
        for (int64_t j = 0; j < a.d; ++j)
          y[j] = (x[j] - mu) * invstd * (a.gamma ? a.gamma[j] : 1.0f) + (a.beta ? a.beta[j] : 0.0f);
    }
  });
}

void layer_norm_backward(const LayerNormBackwardArgs& a) {
  // Fixed blocks of kRowBlock rows: each block writes its rows' dx and its own dgamma/dbeta partials;
  // the partials are combined in block order afterwards.
  const bool params = a.dgamma || a.dbeta;
  const int64_t blocks = (a.rows + kRowBlock - 1) / kRowBlock;
  std::vector<double> partial(params ? static_cast<size_t>(blocks * 2 * a.d) : 0, 0.0);
  parallel_for(0, blocks, std::max<int64_t>(1, row_grain(a.d) / kRowBlock), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      for (int64_t r = b * kRowBlock; r < std::min(a.rows, (b + 1) * kRowBlock); ++r) {
        if (params) row_param_grads(a, r, &partial[b * 2 * a.d], &partial[b * 2 * a.d + a.d]);
        if (a.dx) row_dx(a, r);
      }
  });
  if (!params) return;
  for (int64_t j = 0; j < a.d; ++j) {
    double dg = 0.0, db = 0.0;
    for (int64_t b = 0; b < blocks; ++b) dg += partial[b * 2 * a.d + j], db += partial[b * 2 * a.d + a.d + j];
    if (a.dgamma) a.dgamma[j] = static_cast<float>(dg);
    if (a.dbeta) a.dbeta[j] = static_cast<float>(db);
  }
}

}  // namespace graft::cpu
