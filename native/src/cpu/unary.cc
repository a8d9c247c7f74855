// CPU unary maps and their derivatives: x, y, dy, dx (n), contiguous; y may be x.
// Float math per element; the AVX2 file handles the hot maps eight lanes at a time. Elementwise, so
// the split across threads cannot change any result.
#include <cmath>

#include "cpu/unary_avx2.h"
#include "graft/elementwise.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task: below this, waking threads costs more
constexpr float kSqrt2OverPi = 0.7978845608f;
constexpr float kInvSqrt2 = 0.7071067812f;
constexpr float kInvSqrt2Pi = 0.3989422804f;
constexpr float kGeluCubic = 0.044715f;

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float sign(float x) { return x > 0 ? 1.0f : x < 0 ? -1.0f : x; }

template <typename F>
void map(const float* x, float* y, int64_t lo, int64_t hi, F f) {
  for (int64_t i = lo; i < hi; ++i) y[i] = f(x[i]);
}

void forward_range(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t lo, int64_t hi) {
  switch (op) {
    case UnaryOp::Neg: return map(x, y, lo, hi, [](float v) { return -v; });
    case UnaryOp::Abs: return map(x, y, lo, hi, [](float v) { return std::fabs(v); });
    case UnaryOp::Relu: return map(x, y, lo, hi, [](float v) { return v > 0 || v != v ? v : 0.0f; });
    case UnaryOp::LeakyRelu: return map(x, y, lo, hi, [a = p.alpha](float v) { return v > 0 ? v : v * a; });
    case UnaryOp::Gelu: return map(x, y, lo, hi, [](float v) { return 0.5f * v * std::erfc(-v * kInvSqrt2); });
    case UnaryOp::GeluTanh:
      return map(x, y, lo, hi, [](float v) {
        return 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + kGeluCubic * v * v * v)));
      });
    case UnaryOp::Silu: return map(x, y, lo, hi, [](float v) { return v * sigmoid(v); });
    case UnaryOp::Sigmoid: return map(x, y, lo, hi, [](float v) { return sigmoid(v); });
    case UnaryOp::Tanh: return map(x, y, lo, hi, [](float v) { return std::tanh(v); });
    case UnaryOp::Exp: return map(x, y, lo, hi, [](float v) { return std::exp(v); });
    case UnaryOp::Log: return map(x, y, lo, hi, [](float v) { return std::log(v); });
    case UnaryOp::Sqrt: return map(x, y, lo, hi, [](float v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt: return map(x, y, lo, hi, [](float v) { return 1.0f / std::sqrt(v); });
    case UnaryOp::Square: return map(x, y, lo, hi, [](float v) { return v * v; });
    case UnaryOp::Reciprocal: return map(x, y, lo, hi, [](float v) { return 1.0f / v; });
    case UnaryOp::Sign: return map(x, y, lo, hi, [](float v) { return sign(v); });
    case UnaryOp::Clamp:
      return map(x, y, lo, hi, [a = p.min, b = p.max](float v) { return v != v ? v : std::fmin(std::fmax(v, a), b); });
    case UnaryOp::Affine: return map(x, y, lo, hi, [a = p.alpha, b = p.beta](float v) { return a * v + b; });
    case UnaryOp::PowScalar: return map(x, y, lo, hi, [e = p.exponent](float v) { return std::pow(v, e); });
  }
}

// dx[i] = dy[i] * f(x[i], y[i])
template <typename F>
void grad(const float* x, const float* y, const float* dy, float* dx, int64_t lo, int64_t hi, F f) {
  for (int64_t i = lo; i < hi; ++i) dx[i] = dy[i] * f(x[i], y[i]);
}

void backward_range(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t lo, int64_t hi) {
  switch (op) {
    case UnaryOp::Neg: return grad(x, y, dy, dx, lo, hi, [](float, float) { return -1.0f; });
    case UnaryOp::Abs: return grad(x, y, dy, dx, lo, hi, [](float v, float) { return sign(v); });
    case UnaryOp::Relu: return grad(x, y, dy, dx, lo, hi, [](float v, float) { return v > 0 ? 1.0f : 0.0f; });
    case UnaryOp::LeakyRelu:
      return grad(x, y, dy, dx, lo, hi, [a = p.alpha](float v, float) { return v > 0 ? 1.0f : a; });
    case UnaryOp::Gelu:
      return grad(x, y, dy, dx, lo, hi, [](float v, float) {
        return 0.5f * std::erfc(-v * kInvSqrt2) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
      });
    case UnaryOp::GeluTanh:
      return grad(x, y, dy, dx, lo, hi, [](float v, float) {
        const float t = std::tanh(kSqrt2OverPi * (v + kGeluCubic * v * v * v));
        return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v);
      });
    case UnaryOp::Silu:
      return grad(x, y, dy, dx, lo, hi, [](float v, float) { const float s = sigmoid(v); return s * (1.0f + v * (1.0f - s)); });
    case UnaryOp::Sigmoid: return grad(x, y, dy, dx, lo, hi, [](float, float s) { return s * (1.0f - s); });
    case UnaryOp::Tanh: return grad(x, y, dy, dx, lo, hi, [](float, float t) { return 1.0f - t * t; });
    case UnaryOp::Exp: return grad(x, y, dy, dx, lo, hi, [](float, float e) { return e; });
    case UnaryOp::Log: return grad(x, y, dy, dx, lo, hi, [](float v, float) { return 1.0f / v; });
    case UnaryOp::Sqrt: return grad(x, y, dy, dx, lo, hi, [](float, float s) { return 0.5f / s; });
    case UnaryOp::Rsqrt: return grad(x, y, dy, dx, lo, hi, [](float, float r) { return -0.5f * r * r * r; });
    case UnaryOp::Square: return grad(x, y, dy, dx, lo, hi, [](float v, float) { return 2.0f * v; });
    case UnaryOp::Reciprocal: return grad(x, y, dy, dx, lo, hi, [](float, float r) { return -r * r; });
    case UnaryOp::Sign: return grad(x, y, dy, dx, lo, hi, [](float, float) { return 0.0f; });
    case UnaryOp::Clamp:
      return grad(x, y, dy, dx, lo, hi, [a = p.min, b = p.max](float v, float) { return v >= a && v <= b ? 1.0f : 0.0f; });
    case UnaryOp::Affine: return grad(x, y, dy, dx, lo, hi, [a = p.alpha](float, float) { return a; });
    case UnaryOp::PowScalar:
      return grad(x, y, dy, dx, lo, hi, [e = p.exponent](float v, float) { return e == 0.0f ? 0.0f : e * std::pow(v, e - 1.0f); });
  }
}

}  // namespace

void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    if (use_avx2() && avx2::unary(op, p, x + lo, y + lo, hi - lo)) return;
    forward_range(op, p, x, y, lo, hi);
  });
}

void unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    if (use_avx2() && avx2::unary_backward(op, p, x + lo, y + lo, dy + lo, dx + lo, hi - lo)) return;
    backward_range(op, p, x, y, dy, dx, lo, hi);
  });
}

}  // namespace graft::cpu
