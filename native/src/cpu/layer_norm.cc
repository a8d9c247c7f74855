// CPU layer norm: x, y, dy, dx (rows,D); gamma, beta, dgamma, dbeta (D); saved stats (rows).
// Rows run in parallel, each reduced by one call in a fixed order. dgamma and dbeta run in parallel over
// fixed column blocks, each summing its columns over the rows in row order: no order depends on threads.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/norm_reduce.h"
#include "graft/norm.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kColumnBlock = 64;

int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d)); }

// dgamma[j] = sum over rows of dy*xhat, dbeta[j] = sum over rows of dy, in double.
void layer_norm_param_grads(const LayerNormBackwardArgs& a) {
  const int64_t blocks = (a.d + kColumnBlock - 1) / kColumnBlock;
  parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    double dg[kColumnBlock], db[kColumnBlock];
    for (int64_t blk = lo; blk < hi; ++blk) {
      const int64_t j0 = blk * kColumnBlock, width = std::min(kColumnBlock, a.d - j0);
      std::fill(dg, dg + width, 0.0);
      std::fill(db, db + width, 0.0);
      for (int64_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * a.d + j0;
        const float* dy = a.dy + r * a.d + j0;
        const float mean = a.save_mean[r], invstd = a.save_invstd[r];
        for (int64_t j = 0; j < width; ++j) {
          dg[j] += static_cast<double>(dy[j]) * ((x[j] - mean) * invstd);
          db[j] += dy[j];
        }
      }
      for (int64_t j = 0; j < width; ++j) {
        if (a.dgamma) a.dgamma[j0 + j] = static_cast<float>(dg[j]);
        if (a.dbeta) a.dbeta[j0 + j] = static_cast<float>(db[j]);
      }
    }
  });
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
  if (a.dgamma || a.dbeta) layer_norm_param_grads(a);
  if (!a.dx) return;
  parallel_for(0, a.rows, row_grain(a.d), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const float* x = a.x + r * a.d;
      const float* dy = a.dy + r * a.d;
      float* dx = a.dx + r * a.d;
      const float mean = a.save_mean[r], invstd = a.save_invstd[r];
      double sum_g = 0.0, sum_g_xc = 0.0;
      norm_reduce::sum_grad(dy, a.gamma, x, a.d, mean, &sum_g, &sum_g_xc);
      // dx = invstd*g - invstd/D*sum_g - (x-mean)*invstd^3/D*sum(g*(x-mean))
      const double dd = static_cast<double>(a.d), is = invstd;
      const float k1 = static_cast<float>(-is * sum_g / dd);
      const float k2 = static_cast<float>(-is * is * is * sum_g_xc / dd);
      for (int64_t j = 0; j < a.d; ++j) {
        const float g = dy[j] * (a.gamma ? a.gamma[j] : 1.0f);
        dx[j] = invstd * g + k1 + (x[j] - mean) * k2;
      }
    }
  });
}

}  // namespace graft::cpu
