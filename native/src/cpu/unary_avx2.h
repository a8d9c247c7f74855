// AVX2+FMA unary maps over a contiguous range (defined in unary_avx2.cc, compiled with -mavx2 -mfma).
// Each returns false, touching nothing, for an op it has no vector path for. Call only when use_avx2().
#pragma once

#include <cstdint>

#include "graft/elementwise.h"

namespace graft::cpu::avx2 {

bool unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n);
bool unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n);

}  // namespace graft::cpu::avx2
