// Reference binary cross-entropy with logits: logits, targets, dlogits (N,C); pos_weight (C);
// losses (N*C) or (1). Double throughout; see graft/loss.h for the formula.
#include <cmath>

#include "graft/loss.h"

namespace graft::ref {

void bce_with_logits(const BceWithLogitsArgs& a) {
  double sum = 0.0;
  const int64_t total = a.n * a.c;
  for (int64_t i = 0; i < total; ++i) {
    const double x = a.logits[i], y = a.targets[i];
    const double pw = a.pos_weight ? double(a.pos_weight[i % a.c]) : 1.0;
    const double log_weight = 1.0 + (pw - 1.0) * y;
    const double loss = (1.0 - y) * x + log_weight * (std::log1p(std::exp(-std::fabs(x))) + std::fmax(-x, 0.0));
    if (a.reduction == Reduction::None) a.losses[i] = static_cast<float>(loss);
    sum += loss;
    if (a.dlogits) {
      const double sigmoid_neg = 1.0 / (1.0 + std::exp(x));  // sigmoid(-x)
      const double scale = a.reduction == Reduction::Mean ? 1.0 / double(total) : 1.0;
      a.dlogits[i] = static_cast<float>(((1.0 - y) - log_weight * sigmoid_neg) * scale);
    }
  }
  if (a.reduction == Reduction::Mean) a.losses[0] = static_cast<float>(sum / double(total));
  if (a.reduction == Reduction::Sum) a.losses[0] = static_cast<float>(sum);
}

}  // namespace graft::ref
