// Reference unary maps and their derivatives: x, y, dy, dx (n), contiguous; computed in double.
#include <cmath>

#include "graft/elementwise.h"

namespace graft::ref {
namespace {

constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2/pi)
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;   // 1/sqrt(2*pi)
constexpr double kGeluCubic = 0.044715;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }  // keeps NaN and signed zero

double forward(UnaryOp op, const UnaryParams& p, double x) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs: return std::fabs(x);
    case UnaryOp::Relu: return x > 0 ? x : (std::isnan(x) ? x : 0.0);
    case UnaryOp::LeakyRelu: return x > 0 ? x : x * p.alpha;
    case UnaryOp::Gelu: return 0.5 * x * std::erfc(-x * kInvSqrt2);
    case UnaryOp::GeluTanh: return 0.5 * x * (1.0 + std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x)));
    case UnaryOp::Silu: return x * sigmoid(x);
    case UnaryOp::Sigmoid: return sigmoid(x);
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Rsqrt: return 1.0 / std::sqrt(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Reciprocal: return 1.0 / x;
    case UnaryOp::Sign: return sign(x);
    case UnaryOp::Clamp: return std::isnan(x) ? x : std::fmin(std::fmax(x, double(p.min)), double(p.max));
    case UnaryOp::Affine: return double(p.alpha) * x + double(p.beta);
    case UnaryOp::PowScalar: return std::pow(x, double(p.exponent));
  }
  return x;
}

// d op / dx at x, with y = op(x) (y is recomputed in double from x, so only x matters here).
double derivative(UnaryOp op, const UnaryParams& p, double x) {
  switch (op) {
    case UnaryOp::Neg: return -1.0;
    case UnaryOp::Abs: return sign(x);
    case UnaryOp::Relu: return x > 0 ? 1.0 : 0.0;
    case UnaryOp::LeakyRelu: return x > 0 ? 1.0 : double(p.alpha);
    case UnaryOp::Gelu: return 0.5 * std::erfc(-x * kInvSqrt2) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x);
    case UnaryOp::GeluTanh: {
      const double t = std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kSqrt2OverPi * (1.0 + 3.0 * kGeluCubic * x * x);
    }
    case UnaryOp::Silu: { const double s = sigmoid(x); return s * (1.0 + x * (1.0 - s)); }
    case UnaryOp::Sigmoid: { const double s = sigmoid(x); return s * (1.0 - s); }
    case UnaryOp::Tanh: { const double t = std::tanh(x); return 1.0 - t * t; }
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return 1.0 / x;
    case UnaryOp::Sqrt: return 0.5 / std::sqrt(x);
    case UnaryOp::Rsqrt: return -0.5 / (x * std::sqrt(x));
    case UnaryOp::Square: return 2.0 * x;
    case UnaryOp::Reciprocal: return -1.0 / (x * x);
    case UnaryOp::Sign: return 0.0;
    case UnaryOp::Clamp: return x >= p.min && x <= p.max ? 1.0 : 0.0;
    case UnaryOp::Affine: return double(p.alpha);
    case UnaryOp::PowScalar:
      return p.exponent == 0.0f ? 0.0 : double(p.exponent) * std::pow(x, double(p.exponent) - 1.0);
  }
  return 0.0;
}

}  // namespace

void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(forward(op, p, x[i]));
}

void unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = static_cast<float>(double(dy[i]) * derivative(op, p, x[i]));
}

}  // namespace graft::ref
