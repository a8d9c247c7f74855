// The binary row loops of binary_ops.h compiled with -mavx2 -mfma (binary_avx2.cc).
// Call only when use_avx2().
#pragma once

#include <cstdint>

#include "graft/elementwise.h"

namespace graft::cpu::avx2 {

// out (n, stride so) = op(a (n, stride sa), b (n, stride sb))
void binary_row(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t so,
                int64_t n);

}  // namespace graft::cpu::avx2
