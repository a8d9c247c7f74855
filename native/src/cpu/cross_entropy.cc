// CPU cross-entropy: logits (N,C), targets (N) or soft targets (N,C), weights (C), losses (N) or (1),
// dlogits (N,C). Pass 1 (rows in parallel) computes each row's log-sum-exp (one exp per logit, AVX2
// when available), loss and mean weight, and leaves softmax(row) in dlogits; the losses are summed in
// row order; pass 2 turns each softmax row into the gradient, scaled by the now known denominator.
// Thread count never changes a bit.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/softmax_avx2.h"
#include "graft/loss.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

struct RowResult {
  double loss = 0.0;
  double denominator = 0.0;  // what this row adds to the mean's divisor
};

inline double weight(const CrossEntropyArgs& a, int64_t j) { return a.weights ? double(a.weights[j]) : 1.0; }

// log(sum(exp(z))) of a row; writes softmax(z) into p when p is not null. One exp per element.
double log_sum_exp(const float* z, int64_t c, float* p) {
  if (use_avx2()) return p ? avx2::softmax_row(z, c, p, false) : avx2::log_sum_exp_row(z, c);
  float max = -INFINITY;
  for (int64_t j = 0; j < c; ++j) max = std::fmax(max, z[j]);
  if (std::isinf(max)) max = 0.0f;  // as the softmax kernels
  double sum = 0.0;
  for (int64_t j = 0; j < c; ++j) {
    const float e = std::exp(z[j] - max);
    if (p) p[j] = e;
    sum += e;
  }
  if (p) {
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < c; ++j) p[j] *= inv;
  }
  return double(max) + std::log(sum);
}

// Loss of row n; writes softmax(row) into p when p is not null.
RowResult row_loss(const CrossEntropyArgs& a, int64_t n, float* p) {
  const float* z = a.logits + n * a.c;
  const double eps = a.label_smoothing, c = double(a.c);
  const double lse = log_sum_exp(z, a.c, p);
  RowResult r;
  if (a.soft_targets) {
    const float* q = a.soft_targets + n * a.c;
    for (int64_t j = 0; j < a.c; ++j) r.loss -= weight(a, j) * ((1.0 - eps) * q[j] + eps / c) * (double(z[j]) - lse);
    r.denominator = 1.0;
    return r;
  }
  const int64_t t = a.targets[n];
  if (t == a.ignore_index) return r;
  if (eps != 0.0)
    for (int64_t j = 0; j < a.c; ++j) r.loss -= (eps / c) * weight(a, j) * (double(z[j]) - lse);
  r.loss -= (1.0 - eps) * weight(a, t) * (double(z[t]) - lse);
  r.denominator = weight(a, t);
  return r;
}

// Turns p = softmax(row n) into scale * d loss_n / d logits, in place.
void row_gradient(const CrossEntropyArgs& a, int64_t n, float* p, double scale) {
  const double eps = a.label_smoothing, c = double(a.c);
  if (a.soft_targets) {
    const float* q = a.soft_targets + n * a.c;
    double wq_sum = 0.0;
    for (int64_t j = 0; j < a.c; ++j) wq_sum += weight(a, j) * ((1.0 - eps) * q[j] + eps / c);
    for (int64_t j = 0; j < a.c; ++j)
      p[j] = static_cast<float>(scale * (double(p[j]) * wq_sum - weight(a, j) * ((1.0 - eps) * q[j] + eps / c)));
    return;
  }
  const int64_t t = a.targets[n];
  if (t == a.ignore_index) {
    std::fill(p, p + a.c, 0.0f);
    return;
  }
  if (eps == 0.0 && !a.weights) {  // the common case: p - onehot(t)
    const double p_target = p[t];
    const float s = static_cast<float>(scale);
    for (int64_t j = 0; j < a.c; ++j) p[j] *= s;
    p[t] = static_cast<float>(scale * (p_target - 1.0));
    return;
  }
  double w_sum = 0.0;
  if (eps != 0.0)
    for (int64_t j = 0; j < a.c; ++j) w_sum += weight(a, j);
  const double total = (1.0 - eps) * weight(a, t) + (eps / c) * w_sum;
  for (int64_t j = 0; j < a.c; ++j) {
    const double target_part = (j == t ? (1.0 - eps) * weight(a, t) : 0.0) + (eps / c) * weight(a, j);
    p[j] = static_cast<float>(scale * (double(p[j]) * total - target_part));
  }
}

}  // namespace

void cross_entropy(const CrossEntropyArgs& a) {
  std::vector<RowResult> rows(static_cast<size_t>(a.n));
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, a.c));
  parallel_for(0, a.n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n) rows[n] = row_loss(a, n, a.dlogits ? a.dlogits + n * a.c : nullptr);
  });
  double sum = 0.0, denominator = 0.0;
  for (int64_t n = 0; n < a.n; ++n) {
    sum += rows[n].loss;
    denominator += rows[n].denominator;
    if (a.reduction == Reduction::None) a.losses[n] = static_cast<float>(rows[n].loss);
  }
  if (a.reduction == Reduction::Mean) a.losses[0] = static_cast<float>(sum / denominator);
  if (a.reduction == Reduction::Sum) a.losses[0] = static_cast<float>(sum);
  if (!a.dlogits) return;
  const double scale = a.reduction == Reduction::Mean ? 1.0 / denominator : 1.0;
  parallel_for(0, a.n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n) row_gradient(a, n, a.dlogits + n * a.c, scale);
  });
}

}  // namespace graft::cpu
