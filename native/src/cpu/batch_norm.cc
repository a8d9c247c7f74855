// CPU batch norm: x, y, dy, dx (N,C,HW); gamma, beta, running and saved stats (C).
// Work is split by planes u = n*C + c (the HW values x[n,c,:]). Each plane's partial sums are computed
// by one call in a fixed order and planes are combined per channel in n order (Chan's formula for the
// variance), so the statistics do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/norm_reduce.h"
#include "graft/norm.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

int64_t plane_grain(int64_t hw) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw)); }

// Per channel: mean and biased M2 (sum of squared deviations) over the N planes of that channel.
void channel_moments(const BatchNormTrainArgs& a, std::vector<double>& mean, std::vector<double>& m2) {
  const int64_t planes = a.n * a.c;
  std::vector<double> psum(static_cast<size_t>(planes)), pm2(static_cast<size_t>(planes));
  parallel_for(0, planes, plane_grain(a.hw), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const float* x = a.x + u * a.hw;
      psum[u] = norm_reduce::sum(x, a.hw);
      pm2[u] = norm_reduce::sum_sq_dev(x, a.hw, psum[u] / static_cast<double>(a.hw));
    }
  });
  const double m = static_cast<double>(a.n * a.hw);
  for (int64_t c = 0; c < a.c; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < a.n; ++n) sum += psum[n * a.c + c];
    const double mu = sum / m;
    double acc = 0.0;
    for (int64_t n = 0; n < a.n; ++n) {
      const double d = psum[n * a.c + c] / static_cast<double>(a.hw) - mu;
      acc += pm2[n * a.c + c] + static_cast<double>(a.hw) * d * d;
    }
    mean[c] = mu;
    m2[c] = acc;
  }
}

// y = (x - mean) * scale + shift per plane, in float.
void normalize_planes(int64_t n, int64_t c, int64_t hw, const float* x, const float* mean, const float* scale,
                      const float* shift, float* y) {
  parallel_for(0, n * c, plane_grain(hw), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t ch = u % c;
      const float mu = mean[ch], s = scale[ch], b = shift[ch];
      const float* xp = x + u * hw;
      float* yp = y + u * hw;
      for (int64_t i = 0; i < hw; ++i) yp[i] = (xp[i] - mu) * s + b;
    }
  });
}

// Per channel sums of dy and dy*(x - mean), from per-plane partials combined in n order.
void channel_grad_sums(int64_t n, int64_t c, int64_t hw, const float* dy, const float* x, const float* mean,
                       std::vector<double>& sum_dy, std::vector<double>& sum_dy_xc) {
  std::vector<double> pg(static_cast<size_t>(n * c)), px(static_cast<size_t>(n * c));
  parallel_for(0, n * c, plane_grain(hw), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      if (x) norm_reduce::sum_grad(dy + u * hw, nullptr, x + u * hw, hw, mean[u % c], &pg[u], &px[u]);
      else pg[u] = norm_reduce::sum(dy + u * hw, hw), px[u] = 0.0;
    }
  });
  for (int64_t ch = 0; ch < c; ++ch) {
    double g = 0.0, s = 0.0;
    for (int64_t i = 0; i < n; ++i) g += pg[i * c + ch], s += px[i * c + ch];
    sum_dy[ch] = g;
    sum_dy_xc[ch] = s;
  }
}

}  // namespace

void batch_norm_train(const BatchNormTrainArgs& a) {
  const int64_t m = a.n * a.hw;
  std::vector<double> mean(static_cast<size_t>(a.c), 0.0), m2(static_cast<size_t>(a.c), 0.0);
  if (m > 0) channel_moments(a, mean, m2);
  std::vector<float> mean_f(a.c), scale(a.c), shift(a.c);
  for (int64_t c = 0; c < a.c; ++c) {
    const double invstd = 1.0 / std::sqrt((m > 0 ? m2[c] / static_cast<double>(m) : 0.0) + a.eps);
    mean_f[c] = a.save_mean[c] = static_cast<float>(mean[c]);
    a.save_invstd[c] = static_cast<float>(invstd);
    scale[c] = static_cast<float>(invstd * (a.gamma ? a.gamma[c] : 1.0));
    shift[c] = a.beta ? a.beta[c] : 0.0f;
    if (m <= 1) continue;
    if (a.running_mean)
      a.running_mean[c] = static_cast<float>((1.0 - a.momentum) * a.running_mean[c] + a.momentum * mean[c]);
    if (a.running_var)
      a.running_var[c] = static_cast<float>((1.0 - a.momentum) * a.running_var[c] +
                                            a.momentum * m2[c] / static_cast<double>(m - 1));
  }
  normalize_planes(a.n, a.c, a.hw, a.x, mean_f.data(), scale.data(), shift.data(), a.y);
}

void batch_norm_eval(const BatchNormEvalArgs& a) {
  std::vector<float> scale(a.c), shift(a.c);
  for (int64_t c = 0; c < a.c; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(a.running_var[c]) + a.eps);
    scale[c] = static_cast<float>(invstd * (a.gamma ? a.gamma[c] : 1.0));
    shift[c] = a.beta ? a.beta[c] : 0.0f;
  }
  normalize_planes(a.n, a.c, a.hw, a.x, a.running_mean, scale.data(), shift.data(), a.y);
}

void batch_norm_backward(const BatchNormBackwardArgs& a) {
  const int64_t m = a.n * a.hw;
  std::vector<double> sum_dy(a.c, 0.0), sum_dy_xc(a.c, 0.0);
  channel_grad_sums(a.n, a.c, a.hw, a.dy, a.x, a.save_mean, sum_dy, sum_dy_xc);
  // dx = A*dy + B*(x - mean) + C0 with A = g*invstd, B = -g*invstd^2*dgamma/M, C0 = -g*invstd*dbeta/M.
  std::vector<float> ca(a.c), cb(a.c), c0(a.c);
  for (int64_t c = 0; c < a.c; ++c) {
    const double invstd = a.save_invstd[c], g = a.gamma ? a.gamma[c] : 1.0;
    const double dgamma = sum_dy_xc[c] * invstd;
    if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy[c]);
    if (a.dgamma) a.dgamma[c] = static_cast<float>(dgamma);
    const double md = static_cast<double>(std::max<int64_t>(m, 1));
    ca[c] = static_cast<float>(g * invstd);
    cb[c] = static_cast<float>(-g * invstd * invstd * dgamma / md);
    c0[c] = static_cast<float>(-g * invstd * sum_dy[c] / md);
  }
  if (!a.dx) return;
  parallel_for(0, a.n * a.c, plane_grain(a.hw), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t c = u % a.c;
      const float mu = a.save_mean[c], A = ca[c], B = cb[c], C0 = c0[c];
      const float *dy = a.dy + u * a.hw, *x = a.x + u * a.hw;
      float* dx = a.dx + u * a.hw;
      for (int64_t i = 0; i < a.hw; ++i) dx[i] = A * dy[i] + B * (x[i] - mu) + C0;
    }
  });
}

void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a) {
  std::vector<float> scale(a.c);
  for (int64_t c = 0; c < a.c; ++c)
    scale[c] = static_cast<float>((a.gamma ? a.gamma[c] : 1.0) / std::sqrt(static_cast<double>(a.running_var[c]) + a.eps));
  if (a.dgamma || a.dbeta) {
    std::vector<double> sum_dy(a.c, 0.0), sum_dy_xc(a.c, 0.0);
    channel_grad_sums(a.n, a.c, a.hw, a.dy, a.dgamma ? a.x : nullptr, a.running_mean, sum_dy, sum_dy_xc);
    for (int64_t c = 0; c < a.c; ++c) {
      if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy[c]);
      if (a.dgamma)
        a.dgamma[c] = static_cast<float>(sum_dy_xc[c] / std::sqrt(static_cast<double>(a.running_var[c]) + a.eps));
    }
  }
  if (!a.dx) return;
  parallel_for(0, a.n * a.c, plane_grain(a.hw), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const float s = scale[u % a.c];
      const float* dy = a.dy + u * a.hw;
      float* dx = a.dx + u * a.hw;
      for (int64_t i = 0; i < a.hw; ++i) dx[i] = dy[i] * s;
    }
  });
}

}  // namespace graft::cpu
