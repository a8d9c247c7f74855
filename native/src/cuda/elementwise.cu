// CUDA elementwise kernels (graft/elementwise.h), with the CPU kernels' formulas (src/cpu/unary.cc,
// src/cpu/binary_ops.h) in float32, so results differ from the CPU only by the device's libm rounding.
//   unary:  x (n) -> y (n), contiguous; y may equal x.
//   binary: a, b strided views of `shape` (stride 0 broadcasts, negative allowed) -> out (shape), contiguous;
//           dims merged where both operands step through them as one (strided.cuh).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/map_contiguous.cuh"
#include "cuda/strided.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;
constexpr float kSqrt2OverPi = 0.7978845608f;
constexpr float kInvSqrt2 = 0.7071067812f;
constexpr float kInvSqrt2Pi = 0.3989422804f;
constexpr float kGeluCubic = 0.044715f;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ float sign(float x) { return x > 0 ? 1.0f : x < 0 ? -1.0f : x; }

__device__ float forward(UnaryOp op, const UnaryParams& p, float v) {
  switch (op) {
    case UnaryOp::Neg: return -v;
    case UnaryOp::Abs: return fabsf(v);
    case UnaryOp::Relu: return v > 0 || v != v ? v : 0.0f;
    case UnaryOp::LeakyRelu: return v > 0 ? v : v * p.alpha;
    case UnaryOp::Gelu: return 0.5f * v * erfcf(-v * kInvSqrt2);
    case UnaryOp::GeluTanh: return 0.5f * v * (1.0f + tanhf(kSqrt2OverPi * (v + kGeluCubic * v * v * v)));
    case UnaryOp::Silu: return v * sigmoid(v);
    case UnaryOp::Sigmoid: return sigmoid(v);
    case UnaryOp::Tanh: return tanhf(v);
    case UnaryOp::Exp: return expf(v);
    case UnaryOp::Log: return logf(v);
    case UnaryOp::Sqrt: return sqrtf(v);
    case UnaryOp::Rsqrt: return 1.0f / sqrtf(v);
    case UnaryOp::Square: return v * v;
    case UnaryOp::Reciprocal: return 1.0f / v;
    case UnaryOp::Sign: return sign(v);
    case UnaryOp::Clamp: return v != v ? v : fminf(fmaxf(v, p.min), p.max);
    case UnaryOp::Affine: return p.alpha * v + p.beta;
    case UnaryOp::PowScalar: return powf(v, p.exponent);
  }
  return v;
}

// d op(x)/dx from x (v) and the forward output (y).
__device__ float derivative(UnaryOp op, const UnaryParams& p, float v, float y) {
  switch (op) {
    case UnaryOp::Neg: return -1.0f;
    case UnaryOp::Abs: return sign(v);
    case UnaryOp::Relu: return v > 0 ? 1.0f : 0.0f;
    case UnaryOp::LeakyRelu: return v > 0 ? 1.0f : p.alpha;
    case UnaryOp::Gelu: return 0.5f * erfcf(-v * kInvSqrt2) + v * kInvSqrt2Pi * expf(-0.5f * v * v);
    case UnaryOp::GeluTanh: {
      const float t = tanhf(kSqrt2OverPi * (v + kGeluCubic * v * v * v));
      return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v);
    }
    case UnaryOp::Silu: {
      const float s = sigmoid(v);
      return s * (1.0f + v * (1.0f - s));
    }
    case UnaryOp::Sigmoid: return y * (1.0f - y);
    case UnaryOp::Tanh: return 1.0f - y * y;
    case UnaryOp::Exp: return y;
    case UnaryOp::Log: return 1.0f / v;
    case UnaryOp::Sqrt: return 0.5f / y;
    case UnaryOp::Rsqrt: return -0.5f * y * y * y;
    case UnaryOp::Square: return 2.0f * v;
    case UnaryOp::Reciprocal: return -y * y;
    case UnaryOp::Sign: return 0.0f;
    case UnaryOp::Clamp: return v >= p.min && v <= p.max ? 1.0f : 0.0f;
    case UnaryOp::Affine: return p.alpha;
    case UnaryOp::PowScalar: return p.exponent == 0.0f ? 0.0f : p.exponent * powf(v, p.exponent - 1.0f);
  }
  return 0.0f;
}

__device__ __forceinline__ float apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return powf(a, b);
    case BinaryOp::Maximum: return a != a ? a : b != b ? b : a > b ? a : b;  // NaN wins, as in PyTorch
    case BinaryOp::Minimum: return a != a ? a : b != b ? b : a < b ? a : b;
    case BinaryOp::Eq: return a == b ? 1.0f : 0.0f;
    case BinaryOp::Ne: return a != b ? 1.0f : 0.0f;
    case BinaryOp::Lt: return a < b ? 1.0f : 0.0f;
    case BinaryOp::Le: return a <= b ? 1.0f : 0.0f;
    case BinaryOp::Gt: return a > b ? 1.0f : 0.0f;
    case BinaryOp::Ge: return a >= b ? 1.0f : 0.0f;
  }
  return 0.0f;
}

// The op is a kernel argument, not a template parameter: one switch per element costs little next to
// the memory traffic, and keeps one compiled kernel per map instead of one per op.
__global__ void unary_kernel(UnaryOp op, UnaryParams p, const float* x, float* y, int64_t n) {
  const float* const in[1] = {x};
  map_contiguous(n, in, y, [&](const float (&v)[1]) { return forward(op, p, v[0]); });
}

__global__ void unary_backward_kernel(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy,
                                      float* dx, int64_t n) {
  const float* const in[3] = {x, y, dy};
  map_contiguous(n, in, dx, [&](const float (&v)[3]) { return v[2] * derivative(op, p, v[0], v[1]); });
}

// Same-shape operands that are both packed (the residual add, most gradients): no index arithmetic.
__global__ void binary_contiguous_kernel(BinaryOp op, const float* a, const float* b, float* out, int64_t n) {
  const float* const in[2] = {a, b};
  map_contiguous(n, in, out, [&](const float (&v)[2]) { return apply(op, v[0], v[1]); });
}

template <typename I>
__global__ void binary_kernel(BinaryOp op, StridedIndex<2, I> g, const float* a, const float* b, float* out) {
  for_each_item<I>(g.count, [&](I i) {
    int64_t offset[2];
    g.offsets(i, offset);
    out[i] = apply(op, a[offset[0]], b[offset[1]]);
  });
}

}  // namespace

void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n, int device) {
  cudaStream_t stream = stream_for("cudaUnary", device);
  if (n == 0) return;
  unary_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, stream>>>(op, p, x, y, n);
  GRAFT_CUDA_CHECK_LAUNCH("cudaUnary", unary_kernel);
}

void unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n, int device) {
  cudaStream_t stream = stream_for("cudaUnaryBackward", device);
  if (n == 0) return;
  unary_backward_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, stream>>>(op, p, x, y, dy, dx, n);
  GRAFT_CUDA_CHECK_LAUNCH("cudaUnaryBackward", unary_backward_kernel);
}

void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out, int device) {
  const char* name = "cudaBinary";
  cudaStream_t stream = stream_for(name, device);
  const Dims* const strides[2] = {&a_strides, &b_strides};
  const StridedGeometry<2> g = make_geometry<2>(name, shape, strides);  // out is packed: its offset is i
  if (g.count == 0) return;
  if (g.ndim <= 1 && (g.ndim == 0 || (g.stride[0][0] == 1 && g.stride[1][0] == 1))) {
    binary_contiguous_kernel<<<grid_for((g.count + 3) / 4, kThreads), kThreads, 0, stream>>>(op, a, b, out, g.count);
    GRAFT_CUDA_CHECK_LAUNCH(name, binary_contiguous_kernel);
    return;
  }
  with_strided_index(g, [&](auto index) {
    using I = typename decltype(index)::Index;
    binary_kernel<I><<<grid_for(g.count, kThreads), kThreads, 0, stream>>>(op, index, a, b, out);
    GRAFT_CUDA_CHECK_LAUNCH(name, binary_kernel);
  });
}

}  // namespace graft::cuda
