// Elementwise kernels: unary maps (forward and backward), broadcasting binary ops and `where`,
// N-d strided copies and dtype casts. float32 unless a name says otherwise.
//   unary:   x (n) -> y (n), contiguous; y may equal x (in place).
//   binary:  a, b strided views of `shape` (stride 0 on a broadcast dim, negative strides allowed;
//            pointers already point at the views' first element) -> out (shape), contiguous. An input
//            may be out itself with the same layout; no other aliasing (the binding checks).
//   strided_copy: src view -> dst view of the same shape (views must not overlap; the binding checks).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace graft {

constexpr int kMaxElementwiseDims = 8;

enum class UnaryOp {
  Neg, Abs, Relu, LeakyRelu, Gelu, GeluTanh, Silu, Sigmoid, Tanh, Exp, Log, Sqrt, Rsqrt, Square,
  Reciprocal, Sign, Clamp, Affine, PowScalar,
};

// Scalars some unary ops read: leakyRelu (alpha), clamp (min, max), affine (alpha*x + beta),
// powScalar (exponent). The default alpha is leakyRelu's; callers of affine set alpha themselves
// (the TypeScript wrapper passes every field).
struct UnaryParams {
  float alpha = 0.01f;
  float beta = 0.0f;
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  float exponent = 1.0f;
};

enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge };

// A shape, or one operand's strides in elements (up to kMaxElementwiseDims dims).
using Dims = std::vector<int64_t>;

namespace ref {
// Naive loops computing in double: the references every fast path is tested against.
void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n);
// dx = dy * d op(x)/dx; x is the input and y the forward output (formulas use whichever is cheaper).
void unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n);
void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out);
// out = cond != 0 ? a : b
void where(const Dims& shape, const float* cond, const Dims& cond_strides, const float* a,
           const Dims& a_strides, const float* b, const Dims& b_strides, float* out);
void strided_copy(const Dims& shape, const float* src, const Dims& src_strides, float* dst,
                  const Dims& dst_strides);
void strided_copy(const Dims& shape, const int32_t* src, const Dims& src_strides, int32_t* dst,
                  const Dims& dst_strides);
// dst = src * scale
void cast_to_float32(const uint8_t* src, float* dst, int64_t n, float scale);
void cast_to_float32(const int32_t* src, float* dst, int64_t n, float scale);
// Truncation toward zero; NaN gives 0 and values beyond int32 saturate (C++ leaves those undefined).
void cast_float32_to_int32(const float* src, int32_t* dst, int64_t n);
}  // namespace ref

namespace cpu {
// Threaded over large sizes; AVX2+FMA polynomial paths for the transcendental maps.
void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n);
void unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n);
// Dims are coalesced first; inner loops specialise contiguous, scalar and row-broadcast operands.
void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out);
void where(const Dims& shape, const float* cond, const Dims& cond_strides, const float* a,
           const Dims& a_strides, const float* b, const Dims& b_strides, float* out);
void strided_copy(const Dims& shape, const float* src, const Dims& src_strides, float* dst,
                  const Dims& dst_strides);
void strided_copy(const Dims& shape, const int32_t* src, const Dims& src_strides, int32_t* dst,
                  const Dims& dst_strides);
void cast_to_float32(const uint8_t* src, float* dst, int64_t n, float scale);
void cast_to_float32(const int32_t* src, float* dst, int64_t n, float scale);
void cast_float32_to_int32(const float* src, int32_t* dst, int64_t n);
}  // namespace cpu

}  // namespace graft
