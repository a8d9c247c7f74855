// The Adam update over a range of elements, shared by the portable and AVX2 CPU paths.
#pragma once

#include <cstdint>

#include "graft/optim.h"

namespace graft::cpu {

// Per-step scalars, rounded to float as PyTorch's CPU kernels round Python scalars.
struct AdamConstants {
  float decay;          // 1 - lr*wd (AdamW)
  float wd;             // wd (Adam, added to the gradient)
  float b1, b2;         // beta1, beta2
  float k1, k2;         // 1 - beta1, 1 - beta2
  float bc2;            // sqrt(1 - beta2^step)
  float eps;
  float neg_step_size;  // -lr / (1 - beta1^step)
  bool coupled_wd;
};

namespace avx2 {
// Elements [lo, hi) eight at a time (mul and add kept apart, no FMA, to keep PyTorch's rounding);
// the tail is left to the caller: returns the first element not done.
int64_t adam_range(const AdamArgs& a, const AdamConstants& k, int64_t lo, int64_t hi);
}  // namespace avx2

}  // namespace graft::cpu
