// Losses with PyTorch's semantics, forward and (optionally) the gradient of the reduced loss.
//   cross_entropy: logits (N,C); hard targets (N) int32 or soft targets (N,C); class weights (C).
//     Hard: loss_n = (1-eps) * w[t] * -logp[n,t] + (eps/C) * sum_c w[c] * -logp[n,c], 0 when t == ignore;
//           mean divides the sum by sum_n w[t_n] over the samples not ignored (NaN when there are none).
//     Soft: q = (1-eps) * target + eps/C; loss_n = -sum_c w[c] * q[n,c] * logp[n,c]; mean divides by N.
//   bce_with_logits: x, y (N,C); pos_weight (C) or null;
//     loss = (1-y)*x + (1 + (pw-1)*y) * (log1p(exp(-|x|)) + max(-x, 0)); mean divides by N*C.
// losses: (N) for None, (1) for Mean and Sum. dlogits (same shape as logits), when not null, receives
// the gradient of the reduced loss (for None: of the sum of the losses).
// Targets must already be checked to lie in [0, C) or equal ignore_index (the binding does it).
#pragma once

#include <cstdint>

namespace graft {

enum class Reduction { None, Mean, Sum };

struct CrossEntropyArgs {
  int64_t n = 0, c = 0;
  const float* logits = nullptr;
  const int32_t* targets = nullptr;     // hard targets (N), or null
  const float* soft_targets = nullptr;  // soft targets (N,C), or null (exactly one of the two is set)
  const float* weights = nullptr;       // class weights (C), or null for all ones
  float label_smoothing = 0.0f;
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  float* losses = nullptr;
  float* dlogits = nullptr;  // optional
};

struct BceWithLogitsArgs {
  int64_t n = 0, c = 1;
  const float* logits = nullptr;
  const float* targets = nullptr;
  const float* pos_weight = nullptr;  // (C), or null for all ones
  Reduction reduction = Reduction::Mean;
  float* losses = nullptr;
  float* dlogits = nullptr;  // optional
};

namespace ref {
// Double precision throughout.
void cross_entropy(const CrossEntropyArgs& a);
void bce_with_logits(const BceWithLogitsArgs& a);
}  // namespace ref

namespace cpu {
// Rows in parallel; per-row terms summed in row order, so the result is the same for any thread count.
void cross_entropy(const CrossEntropyArgs& a);
void bce_with_logits(const BceWithLogitsArgs& a);
}  // namespace cpu

}  // namespace graft
