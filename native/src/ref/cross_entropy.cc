// Reference cross-entropy: logits (N,C), targets (N) or soft targets (N,C), weights (C),
// losses (N) or (1), dlogits (N,C). Double throughout; see graft/loss.h for the formulas.
#include <cmath>
#include <vector>

#include "graft/loss.h"

namespace graft::ref {
namespace {

// logp (C) = log_softmax(row), p (C) = softmax(row).
void row_log_softmax(const float* row, int64_t c, std::vector<double>& logp, std::vector<double>& p) {
  double max = -INFINITY;
  for (int64_t j = 0; j < c; ++j) max = std::fmax(max, double(row[j]));
  double sum = 0.0;
  for (int64_t j = 0; j < c; ++j) sum += std::exp(double(row[j]) - max);
  const double log_sum = std::log(sum) + max;
  for (int64_t j = 0; j < c; ++j) {
    logp[j] = double(row[j]) - log_sum;
    p[j] = std::exp(logp[j]);
  }
}

double weight(const CrossEntropyArgs& a, int64_t j) { return a.weights ? double(a.weights[j]) : 1.0; }

// Per-sample loss and the weight it carries in the mean's denominator; grad (C) gets d loss / d logits.
double sample_loss(const CrossEntropyArgs& a, int64_t n, const std::vector<double>& logp,
                   const std::vector<double>& p, std::vector<double>& grad, double& denominator) {
  const double eps = a.label_smoothing, c = double(a.c);
  double loss = 0.0;
  if (a.soft_targets) {
    const float* q = a.soft_targets + n * a.c;
    double wq_sum = 0.0;
    for (int64_t j = 0; j < a.c; ++j) {
      const double wq = weight(a, j) * ((1.0 - eps) * q[j] + eps / c);
      loss -= wq * logp[j];
      wq_sum += wq;
      grad[j] = -wq;
    }
    for (int64_t j = 0; j < a.c; ++j) grad[j] += p[j] * wq_sum;
    denominator = 1.0;
    return loss;
  }
  const int64_t t = a.targets[n];
  if (t == a.ignore_index) {
    for (int64_t j = 0; j < a.c; ++j) grad[j] = 0.0;
    denominator = 0.0;
    return 0.0;
  }
  double w_sum = 0.0;
  for (int64_t j = 0; j < a.c; ++j) {
    loss -= (eps / c) * weight(a, j) * logp[j];
    w_sum += weight(a, j);
    grad[j] = -(eps / c) * weight(a, j);
  }
  loss -= (1.0 - eps) * weight(a, t) * logp[t];
  grad[t] -= (1.0 - eps) * weight(a, t);
  const double total = (1.0 - eps) * weight(a, t) + (eps / c) * w_sum;
  for (int64_t j = 0; j < a.c; ++j) grad[j] += p[j] * total;
  denominator = weight(a, t);
  return loss;
}

}  // namespace

void cross_entropy(const CrossEntropyArgs& a) {
  std::vector<double> logp(a.c), p(a.c), grad(a.c), all_grads(a.n * a.c);
  double sum = 0.0, denominator = 0.0;
  for (int64_t n = 0; n < a.n; ++n) {
    row_log_softmax(a.logits + n * a.c, a.c, logp, p);
    double row_denominator = 0.0;
    const double loss = sample_loss(a, n, logp, p, grad, row_denominator);
    if (a.reduction == Reduction::None) a.losses[n] = static_cast<float>(loss);
    sum += loss;
    denominator += row_denominator;
    for (int64_t j = 0; j < a.c; ++j) all_grads[n * a.c + j] = grad[j];
  }
  const double scale = a.reduction == Reduction::Mean ? 1.0 / denominator : 1.0;
  if (a.reduction == Reduction::Mean) a.losses[0] = static_cast<float>(sum / denominator);
  if (a.reduction == Reduction::Sum) a.losses[0] = static_cast<float>(sum);
  if (a.dlogits)
    for (int64_t i = 0; i < a.n * a.c; ++i) a.dlogits[i] = static_cast<float>(all_grads[i] * scale);
}

}  // namespace graft::ref
