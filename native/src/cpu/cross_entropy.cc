// CPU cross-entropy: logits (N,C), targets (N) or soft targets (N,C), weights (C), losses (N) or (1),
// dlogits (N,C). Pass 1 (rows in parallel) computes each row's log-softmax, loss and mean weight, and
// leaves softmax(row) in dlogits; the losses are summed in row order; pass 2 turns each softmax row
// into the gradient, scaled by the now known denominator. Thread count never changes a bit.
#include <algorithm>
#include <cmath>
#include <vector>

#include "graft/loss.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

struct RowResult {
  double loss = 0.0;
  double denominator = 0.0;  // what this row adds to the mean's divisor
};

inline double weight(const CrossEntropyArgs& a, int64_t j) { return a.weights ? double(a.weights[j]) : 1.0; }

// Loss of row n; writes softmax(row) into p when p is not null.
RowResult row_loss(const CrossEntropyArgs& a, int64_t n, float* p) {
  const float* z = a.logits + n * a.c;
  const double eps = a.label_smoothing, c = double(a.c);
  float max = -INFINITY;
  for (int64_t j = 0; j < a.c; ++j) max = std::fmax(max, z[j]);
  double sum = 0.0;
  for (int64_t j = 0; j < a.c; ++j) sum += std::exp(double(z[j] - max));
  const double log_sum = std::log(sum) + double(max);
  if (p)
    for (int64_t j = 0; j < a.c; ++j) p[j] = static_cast<float>(std::exp(double(z[j]) - log_sum));
  RowResult r;
  if (a.soft_targets) {
    const float* q = a.soft_targets + n * a.c;
    for (int64_t j = 0; j < a.c; ++j) r.loss -= weight(a, j) * ((1.0 - eps) * q[j] + eps / c) * (double(z[j]) - log_sum);
    r.denominator = 1.0;
    return r;
  }
  const int64_t t = a.targets[n];
  if (t == a.ignore_index) return r;
  if (eps != 0.0)
    for (int64_t j = 0; j < a.c; ++j) r.loss -= (eps / c) * weight(a, j) * (double(z[j]) - log_sum);
  r.loss -= (1.0 - eps) * weight(a, t) * (double(z[t]) - log_sum);
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
