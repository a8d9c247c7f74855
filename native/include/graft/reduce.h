// Reductions over the middle dim of a contiguous view: x (O,R,I) -> y (O,I).
//   sum, mean, max, min, prod into float y; argmax/argmin into int32 y (first index on ties; a NaN
//   wins, as in PyTorch). R = 0: sum 0, prod 1, mean NaN; max/min/argmax/argmin need R > 0 (the binding checks).
// Sums and products accumulate in double in a fixed order, so results never depend on the thread count.
#pragma once

#include <cstdint>

namespace graft {

enum class ReduceOp { Sum, Mean, Max, Min, Prod };
enum class ArgReduceOp { Argmax, Argmin };

namespace ref {
void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y);
void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y);
}  // namespace ref

namespace cpu {
void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y);
void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y);
}  // namespace cpu

}  // namespace graft
