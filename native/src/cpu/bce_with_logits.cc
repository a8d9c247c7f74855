// CPU binary cross-entropy with logits: logits, targets, dlogits (N,C); pos_weight (C); losses (N*C) or (1).
// Stable form (1-y)*x + lw*(log1p(exp(-|x|)) + max(-x,0)), lw = 1 + (pw-1)*y. Element losses are
// computed in parallel, then summed in order in double, so the thread count never changes the result.
#include <algorithm>
#include <cmath>
#include <vector>

#include "graft/loss.h"
#include "graft/runtime.h"

namespace graft::cpu {

void bce_with_logits(const BceWithLogitsArgs& a) {
  const int64_t total = a.n * a.c;
  const bool keep = a.reduction == Reduction::None;
  std::vector<double> partial;
  constexpr int64_t kBlock = 4096;  // elements per partial sum (fixed: thread-independent)
  const int64_t blocks = (total + kBlock - 1) / kBlock;
  partial.assign(static_cast<size_t>(blocks), 0.0);
  const double scale = a.reduction == Reduction::Mean ? 1.0 / double(total) : 1.0;
  parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      double acc = 0.0;
      for (int64_t i = b * kBlock, end = std::min(total, i + kBlock); i < end; ++i) {
        const float x = a.logits[i], y = a.targets[i];
        const float pw = a.pos_weight ? a.pos_weight[i % a.c] : 1.0f;
        const float log_weight = 1.0f + (pw - 1.0f) * y;
        const float e = std::exp(-std::fabs(x));
        // (1-y)*x and lw*max(-x,0) nearly cancel for large |x|: combine them in double.
        const double loss = double(1.0f - y) * x + double(log_weight) * (double(std::log1p(e)) + std::fmax(-x, 0.0f));
        if (keep) a.losses[i] = static_cast<float>(loss);
        acc += loss;
        if (a.dlogits) {
          // sigmoid(-x) from the same e = exp(-|x|): 1/(1+e) when x < 0, e/(1+e) otherwise.
          const float sigmoid_neg = (x < 0 ? 1.0f : e) / (1.0f + e);
          a.dlogits[i] = static_cast<float>(((1.0f - y) - log_weight * sigmoid_neg) * scale);
        }
      }
      partial[b] = acc;
    }
  });
  double sum = 0.0;
  for (double p : partial) sum += p;
  if (a.reduction == Reduction::Mean) a.losses[0] = static_cast<float>(sum / double(total));
  if (a.reduction == Reduction::Sum) a.losses[0] = static_cast<float>(sum);
}

}  // namespace graft::cpu
