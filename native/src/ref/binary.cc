// Reference broadcasting binary ops and where: a, b, cond strided views of `shape`, out (shape)
// contiguous. Arithmetic in double, rounded once to float.
#include <cmath>

#include "graft/elementwise.h"
#include "ref/strided_index.h"

namespace graft::ref {
namespace {

double apply(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return std::pow(a, b);
    // NaN propagates through maximum/minimum, as in PyTorch.
    case BinaryOp::Maximum: return std::isnan(a) || std::isnan(b) ? NAN : std::fmax(a, b);
    case BinaryOp::Minimum: return std::isnan(a) || std::isnan(b) ? NAN : std::fmin(a, b);
    case BinaryOp::Eq: return a == b ? 1.0 : 0.0;
    case BinaryOp::Ne: return a != b ? 1.0 : 0.0;
    case BinaryOp::Lt: return a < b ? 1.0 : 0.0;
    case BinaryOp::Le: return a <= b ? 1.0 : 0.0;
    case BinaryOp::Gt: return a > b ? 1.0 : 0.0;
    case BinaryOp::Ge: return a >= b ? 1.0 : 0.0;
  }
  return NAN;
}

}  // namespace

void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out) {
  const int64_t total = total_elements(shape);
  for (int64_t i = 0; i < total; ++i) {
    const double av = a[strided_offset(i, shape, a_strides)];
    const double bv = b[strided_offset(i, shape, b_strides)];
    out[i] = static_cast<float>(apply(op, av, bv));
  }
}

void where(const Dims& shape, const float* cond, const Dims& cond_strides, const float* a,
           const Dims& a_strides, const float* b, const Dims& b_strides, float* out) {
  const int64_t total = total_elements(shape);
  for (int64_t i = 0; i < total; ++i) {
    const bool pick_a = cond[strided_offset(i, shape, cond_strides)] != 0.0f;
    out[i] = pick_a ? a[strided_offset(i, shape, a_strides)] : b[strided_offset(i, shape, b_strides)];
  }
}

}  // namespace graft::ref
