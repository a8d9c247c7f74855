// AVX2+FMA unary maps and derivatives over contiguous x, y, dy, dx (n): eight lanes at a time, the
// tail through masked loads. Transcendentals come from vec_math_avx2.h (exp, tanh: ~2 ulp; erf:
// |error| < 1.5e-7). log and powScalar have no vector path here (the caller runs the portable loop).
#include "cpu/unary_avx2.h"

#include "cpu/vec_math_avx2.h"

namespace graft::cpu::avx2 {
namespace {

constexpr float kSqrt2OverPi = 0.7978845608f;
constexpr float kInvSqrt2 = 0.7071067812f;
constexpr float kInvSqrt2Pi = 0.3989422804f;
constexpr float kGeluCubic = 0.044715f;

inline __m256 set(float v) { return _mm256_set1_ps(v); }

// Phi(x) = 0.5 * erfc(-x / sqrt 2), from erfc(|x| / sqrt 2) without cancellation on either side.
inline __m256 normal_cdf(__m256 x) {
  const __m256 e = erfc_abs256(_mm256_mul_ps(x, set(kInvSqrt2)));
  const __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
  return _mm256_mul_ps(set(0.5f), _mm256_blendv_ps(e, _mm256_sub_ps(set(2.0f), e), positive));
}

// For u = sqrt(2/pi) * (x + 0.044715 x^3): 1 + tanh(u) and 1 - tanh(u)^2, both from e = exp(-2|u|)
// so neither cancels when tanh(u) is near -1 or +1 (1 - tanh^2 = 4e / (1+e)^2).
inline void gelu_tanh_terms(__m256 x, __m256& one_plus_t, __m256& sech2) {
  const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
  const __m256 u = _mm256_mul_ps(set(kSqrt2OverPi), _mm256_fmadd_ps(set(kGeluCubic), x3, x));
  const __m256 e = exp256(_mm256_mul_ps(set(-2.0f), abs256(u)));
  const __m256 inv = _mm256_div_ps(set(1.0f), _mm256_add_ps(set(1.0f), e));
  const __m256 negative = _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_LT_OQ);
  one_plus_t = _mm256_mul_ps(set(2.0f), _mm256_blendv_ps(inv, _mm256_mul_ps(e, inv), negative));
  sech2 = _mm256_mul_ps(_mm256_mul_ps(set(4.0f), e), _mm256_mul_ps(inv, inv));
}

// dx[i] = dy[i] * f(x[i], y[i]), eight at a time, masked tail.
template <typename F>
inline void grad256(const float* x, const float* y, const float* dy, float* dx, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(dy + i), f(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i))));
  if (i < n) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 g = f(_mm256_maskload_ps(x + i, mask), _mm256_maskload_ps(y + i, mask));
    _mm256_maskstore_ps(dx + i, mask, _mm256_mul_ps(_mm256_maskload_ps(dy + i, mask), g));
  }
}

}  // namespace

bool unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n) {
  const __m256 zero = _mm256_setzero_ps(), one = set(1.0f);
  switch (op) {
    case UnaryOp::Neg: map256(x, y, n, [&](__m256 v) { return _mm256_sub_ps(zero, v); }); return true;
    case UnaryOp::Abs: map256(x, y, n, [](__m256 v) { return abs256(v); }); return true;
    case UnaryOp::Relu: map256(x, y, n, [&](__m256 v) { return _mm256_max_ps(zero, v); }); return true;  // NaN kept
    case UnaryOp::LeakyRelu: {
      const __m256 alpha = set(p.alpha);
      map256(x, y, n, [&](__m256 v) {
        return _mm256_blendv_ps(_mm256_mul_ps(v, alpha), v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
      });
      return true;
    }
    case UnaryOp::Gelu: map256(x, y, n, [](__m256 v) { return _mm256_mul_ps(v, normal_cdf(v)); }); return true;
    case UnaryOp::GeluTanh:
      map256(x, y, n, [&](__m256 v) {
        __m256 one_plus_t, sech2;
        gelu_tanh_terms(v, one_plus_t, sech2);
        return _mm256_mul_ps(_mm256_mul_ps(set(0.5f), v), one_plus_t);
      });
      return true;
    case UnaryOp::Silu: map256(x, y, n, [](__m256 v) { return _mm256_mul_ps(v, sigmoid256(v)); }); return true;
    case UnaryOp::Sigmoid: map256(x, y, n, [](__m256 v) { return sigmoid256(v); }); return true;
    case UnaryOp::Tanh: map256(x, y, n, [](__m256 v) { return tanh256(v); }); return true;
    case UnaryOp::Exp: map256(x, y, n, [](__m256 v) { return exp256(v); }); return true;
    case UnaryOp::Sqrt: map256(x, y, n, [](__m256 v) { return _mm256_sqrt_ps(v); }); return true;
    case UnaryOp::Rsqrt: map256(x, y, n, [&](__m256 v) { return _mm256_div_ps(one, _mm256_sqrt_ps(v)); }); return true;
    case UnaryOp::Square: map256(x, y, n, [](__m256 v) { return _mm256_mul_ps(v, v); }); return true;
    case UnaryOp::Reciprocal: map256(x, y, n, [&](__m256 v) { return _mm256_div_ps(one, v); }); return true;
    case UnaryOp::Sign:
      map256(x, y, n, [&](__m256 v) {  // 0, -0 and NaN map to themselves
        const __m256 s = _mm256_blendv_ps(v, one, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
        return _mm256_blendv_ps(s, set(-1.0f), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
      });
      return true;
    case UnaryOp::Clamp: {
      const __m256 lo = set(p.min), hi = set(p.max);
      map256(x, y, n, [&](__m256 v) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); });  // NaN kept
      return true;
    }
    case UnaryOp::Affine: {
      const __m256 a = set(p.alpha), b = set(p.beta);
      map256(x, y, n, [&](__m256 v) { return _mm256_fmadd_ps(a, v, b); });
      return true;
    }
    case UnaryOp::Log:
    case UnaryOp::PowScalar: return false;
  }
  return false;
}

bool unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy, float* dx,
                    int64_t n) {
  const __m256 zero = _mm256_setzero_ps(), one = set(1.0f);
  switch (op) {
    case UnaryOp::Relu:
      grad256(x, y, dy, dx, n, [&](__m256 v, __m256) { return _mm256_and_ps(one, _mm256_cmp_ps(v, zero, _CMP_GT_OQ)); });
      return true;
    case UnaryOp::LeakyRelu: {
      const __m256 alpha = set(p.alpha);
      grad256(x, y, dy, dx, n, [&](__m256 v, __m256) { return _mm256_blendv_ps(alpha, one, _mm256_cmp_ps(v, zero, _CMP_GT_OQ)); });
      return true;
    }
    case UnaryOp::Gelu:
      grad256(x, y, dy, dx, n, [&](__m256 v, __m256) {
        const __m256 pdf = _mm256_mul_ps(set(kInvSqrt2Pi), exp256(_mm256_mul_ps(set(-0.5f), _mm256_mul_ps(v, v))));
        return _mm256_fmadd_ps(v, pdf, normal_cdf(v));
      });
      return true;
    case UnaryOp::GeluTanh:
      grad256(x, y, dy, dx, n, [&](__m256 v, __m256) {
        __m256 one_plus_t, sech2;
        gelu_tanh_terms(v, one_plus_t, sech2);
        const __m256 slope = _mm256_mul_ps(set(kSqrt2OverPi), _mm256_fmadd_ps(set(3.0f * kGeluCubic), _mm256_mul_ps(v, v), one));
        const __m256 right = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(set(0.5f), v), sech2), slope);
        return _mm256_fmadd_ps(set(0.5f), one_plus_t, right);
      });
      return true;
    case UnaryOp::Silu:
      grad256(x, y, dy, dx, n, [&](__m256 v, __m256) {
        const __m256 s = sigmoid256(v);
        return _mm256_mul_ps(s, _mm256_fmadd_ps(v, _mm256_sub_ps(one, s), one));
      });
      return true;
    case UnaryOp::Sigmoid:
      grad256(x, y, dy, dx, n, [&](__m256, __m256 s) { return _mm256_mul_ps(s, _mm256_sub_ps(one, s)); });
      return true;
    case UnaryOp::Tanh:
      grad256(x, y, dy, dx, n, [&](__m256, __m256 t) { return _mm256_fnmadd_ps(t, t, one); });
      return true;
    case UnaryOp::Exp: grad256(x, y, dy, dx, n, [](__m256, __m256 e) { return e; }); return true;
    case UnaryOp::Square: grad256(x, y, dy, dx, n, [](__m256 v, __m256) { return _mm256_add_ps(v, v); }); return true;
    default: return false;
  }
}

}  // namespace graft::cpu::avx2
