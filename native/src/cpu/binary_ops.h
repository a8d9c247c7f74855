// Binary op functors and the row loop they run in, shared by binary.cc (portable build) and
// binary_avx2.cc (the same loops compiled with -mavx2 -mfma, which the compiler vectorises 8 wide).
// Everything here has internal linkage, so each file keeps its own copy built with its own flags.
#pragma once

#include <cmath>
#include <cstdint>

#include "graft/elementwise.h"

namespace graft::cpu {
namespace {

struct AddOp { float operator()(float a, float b) const { return a + b; } };
struct SubOp { float operator()(float a, float b) const { return a - b; } };
struct MulOp { float operator()(float a, float b) const { return a * b; } };
struct DivOp { float operator()(float a, float b) const { return a / b; } };
struct PowOp { float operator()(float a, float b) const { return std::pow(a, b); } };
// NaN in either input gives NaN, as PyTorch's maximum/minimum.
struct MaximumOp { float operator()(float a, float b) const { return a != a ? a : b != b ? b : a > b ? a : b; } };
struct MinimumOp { float operator()(float a, float b) const { return a != a ? a : b != b ? b : a < b ? a : b; } };
struct EqOp { float operator()(float a, float b) const { return a == b ? 1.0f : 0.0f; } };
struct NeOp { float operator()(float a, float b) const { return a != b ? 1.0f : 0.0f; } };
struct LtOp { float operator()(float a, float b) const { return a < b ? 1.0f : 0.0f; } };
struct LeOp { float operator()(float a, float b) const { return a <= b ? 1.0f : 0.0f; } };
struct GtOp { float operator()(float a, float b) const { return a > b ? 1.0f : 0.0f; } };
struct GeOp { float operator()(float a, float b) const { return a >= b ? 1.0f : 0.0f; } };

// out (n) with stride so, a (n) with stride sa, b (n) with stride sb. The common stride patterns get
// loops the compiler can vectorise: both contiguous, scalar b, scalar a.
template <typename F>
void binary_row(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t so, int64_t n) {
  if (so == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (so == 1 && sa == 1 && sb == 0) {
    const float bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (so == 1 && sa == 0 && sb == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i * so] = f(a[i * sa], b[i * sb]);
  }
}

template <typename Fn>
void dispatch_binary(BinaryOp op, Fn fn) {
  switch (op) {
    case BinaryOp::Add: return fn(AddOp{});
    case BinaryOp::Sub: return fn(SubOp{});
    case BinaryOp::Mul: return fn(MulOp{});
    case BinaryOp::Div: return fn(DivOp{});
    case BinaryOp::Pow: return fn(PowOp{});
    case BinaryOp::Maximum: return fn(MaximumOp{});
    case BinaryOp::Minimum: return fn(MinimumOp{});
    case BinaryOp::Eq: return fn(EqOp{});
    case BinaryOp::Ne: return fn(NeOp{});
    case BinaryOp::Lt: return fn(LtOp{});
    case BinaryOp::Le: return fn(LeOp{});
    case BinaryOp::Gt: return fn(GtOp{});
    case BinaryOp::Ge: return fn(GeOp{});
  }
}

// One row of any binary op: the switch runs once per row, the loop inside is op-specific.
inline void binary_row_any(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                           int64_t so, int64_t n) {
  dispatch_binary(op, [&](auto f) { binary_row(f, a, sa, b, sb, out, so, n); });
}

}  // namespace
}  // namespace graft::cpu
