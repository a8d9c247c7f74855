// CPU batch norm: x, y, dy, dx (N,C,HW); gamma, beta, running and saved stats (C).
// Long planes (HW >= 16): work is split by planes u = n*C + c (the HW values x[n,c,:]); each plane's
// partial sums come from one call in a fixed order and planes combine per channel in n order (Chan's
// formula for the variance). Short planes: fixed blocks of rows (below). Either way the statistics do
// not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/norm_reduce.h"
#include "graft/norm.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

// Planes shorter than this are reduced by rows instead (x seen as N rows of C*HW values): for
// BatchNorm1d (HW = 1) a plane is one value and per-plane partials would cost more than the data.
// Fixed blocks of kRowBlock rows each produce per-channel partials, combined in block order; the path
// and the blocks depend only on the shape, never on the thread count.
constexpr int64_t kSmallPlane = 16;
constexpr int64_t kRowBlock = 64;

int64_t plane_grain(int64_t hw) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw)); }

// Calls fn(ch, first) for every plane (first = index of its first value) in parallel: plane by plane
// for long planes, a row of C planes at a time for short ones. Elementwise work only.
template <typename Fn>
void for_each_plane(int64_t n, int64_t c, int64_t hw, Fn fn) {
  if (hw >= kSmallPlane) {
    parallel_for(0, n * c, plane_grain(hw), [&](int64_t lo, int64_t hi) {
      for (int64_t u = lo; u < hi; ++u) fn(u % c, u * hw);
    });
  } else {
    parallel_for(0, n, plane_grain(c * hw), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        for (int64_t ch = 0; ch < c; ++ch) fn(ch, (i * c + ch) * hw);
    });
  }
}

// Returns `width` sums: add_row(row, acc) adds one row's contributions into acc (width doubles).
template <typename AddRow>
std::vector<double> row_block_sums(int64_t n, int64_t width, AddRow add_row) {
  const int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
  std::vector<double> partial(static_cast<size_t>(blocks * width), 0.0);
  parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      for (int64_t row = b * kRowBlock; row < std::min(n, (b + 1) * kRowBlock); ++row)
        add_row(row, partial.data() + b * width);
  });
  std::vector<double> total(static_cast<size_t>(width), 0.0);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t j = 0; j < width; ++j) total[j] += partial[b * width + j];
  return total;
}

// Small planes: per channel sum, then M2 about the mean, each by row blocks.
void channel_moments_small(const BatchNormTrainArgs& a, std::vector<double>& mean, std::vector<double>& m2) {
  const int64_t c = a.c, hw = a.hw;
  const double m = static_cast<double>(a.n * hw);
  const std::vector<double> sum = row_block_sums(a.n, c, [&](int64_t row, double* acc) {
    const float* x = a.x + row * c * hw;
    if (hw == 1) for (int64_t ch = 0; ch < c; ++ch) acc[ch] += x[ch];
    else for (int64_t ch = 0; ch < c; ++ch) for (int64_t s = 0; s < hw; ++s) acc[ch] += x[ch * hw + s];
  });
  for (int64_t ch = 0; ch < c; ++ch) mean[ch] = sum[ch] / m;
  const double* mu = mean.data();
  m2 = row_block_sums(a.n, c, [&](int64_t row, double* acc) {
    const float* x = a.x + row * c * hw;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t s = 0; s < hw; ++s) {
        const double d = x[ch * hw + s] - mu[ch];
        acc[ch] += d * d;
      }
  });
}

// Per channel: mean and biased M2 (sum of squared deviations) over the N planes of that channel.
void channel_moments(const BatchNormTrainArgs& a, std::vector<double>& mean, std::vector<double>& m2) {
  if (a.hw < kSmallPlane) return channel_moments_small(a, mean, m2);
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
  for_each_plane(n, c, hw, [&](int64_t ch, int64_t first) {
    const float mu = mean[ch], s = scale[ch], b = shift[ch];
    const float* xp = x + first;
    float* yp = y + first;
    for (int64_t i = 0; i < hw; ++i) yp[i] = (xp[i] - mu) * s + b;
  });
}

// Per channel sums of dy and dy*(x - mean), from per-plane partials combined in n order.
void channel_grad_sums(int64_t n, int64_t c, int64_t hw, const float* dy, const float* x, const float* mean,
                       std::vector<double>& sum_dy, std::vector<double>& sum_dy_xc) {
  if (hw < kSmallPlane) {
    const std::vector<double> sums = row_block_sums(n, 2 * c, [&](int64_t row, double* acc) {
      const float *d = dy + row * c * hw, *xr = x ? x + row * c * hw : nullptr;
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t s = 0; s < hw; ++s) {
          acc[ch] += d[ch * hw + s];
          if (xr) acc[c + ch] += static_cast<double>(d[ch * hw + s]) * (xr[ch * hw + s] - mean[ch]);
        }
    });
    for (int64_t ch = 0; ch < c; ++ch) sum_dy[ch] = sums[ch], sum_dy_xc[ch] = sums[c + ch];
    return;
  }
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
  for_each_plane(a.n, a.c, a.hw, [&](int64_t c, int64_t first) {
    const float mu = a.save_mean[c], A = ca[c], B = cb[c], C0 = c0[c];
    const float *dy = a.dy + first, *x = a.x + first;
    float* dx = a.dx + first;
    for (int64_t i = 0; i < a.hw; ++i) dx[i] = A * dy[i] + B * (x[i] - mu) + C0;
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
  for_each_plane(a.n, a.c, a.hw, [&](int64_t c, int64_t first) {
    const float s = scale[c];
    const float* dy = a.dy + first;
    float* dx = a.dx + first;
    for (int64_t i = 0; i < a.hw; ++i) dx[i] = dy[i] * s;
  });
}

}  // namespace graft::cpu
