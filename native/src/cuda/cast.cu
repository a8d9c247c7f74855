// CUDA dtype conversion (graft/cuda_ops.h): src (n) -> dst (n), both packed, one thread per element.
// Each value is read as a double (float16/bfloat16 decoded, int64 converted), then written with the
// rules of the CPU side (src/ref/strided_copy.cc for the kernel casts, packages/core ops/cast.ts for
// the others), so the same tensor converts to the same bits on both devices:
//   to float32: float(double(v) * scale); to float16/bfloat16: through float32, rounded to nearest even;
//   float32 -> int32: truncate, NaN -> 0, saturate; other sources -> int32: truncate, wrap modulo 2^32;
//   -> int64: truncate (non-finite -> 0); -> uint8: truncate, low byte (non-finite -> 0); -> bool: v != 0.
#include <cuda_runtime.h>

#include <string>

#include "cuda/bf16.cuh"
#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

__device__ double half_to_double(uint16_t h) {
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  const int exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp == 0) return sign * frac * 0x1p-24;
  if (exp == 31) return frac ? __longlong_as_double(0x7ff8000000000000LL) : sign * __longlong_as_double(0x7ff0000000000000LL);
  return sign * (1.0 + frac / 1024.0) * ldexp(1.0, exp - 15);
}

// The bit manipulation of floatToHalf in packages/core/src/tensor/dtype.ts, on the float32 value.
__device__ uint16_t float_to_half(float value) {
  const uint32_t x = __float_as_uint(value);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffff;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  const int e = exp - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    const int shift = 14 - e;
    const uint32_t half = mant >> shift, rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    return static_cast<uint16_t>(sign | (half + ((rest > mid || (rest == mid && (half & 1))) ? 1 : 0)));
  }
  uint32_t half = sign | (uint32_t(e) << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half += 1;
  return static_cast<uint16_t>(half);
}

__device__ double read(const void* src, DType t, int64_t i) {
  switch (t) {
    case DType::Float32: return static_cast<const float*>(src)[i];
    case DType::Int32: return static_cast<const int32_t*>(src)[i];
    case DType::Int64: return static_cast<double>(static_cast<const long long*>(src)[i]);
    case DType::Uint8:
    case DType::Bool: return static_cast<const uint8_t*>(src)[i];
    case DType::Float16: return half_to_double(static_cast<const uint16_t*>(src)[i]);
    case DType::Bfloat16: return __uint_as_float(uint32_t(static_cast<const uint16_t*>(src)[i]) << 16);
  }
  return 0.0;
}

__device__ int32_t to_int32(double v, DType from) {
  if (isnan(v) || (from != DType::Float32 && isinf(v))) return 0;
  const double t = trunc(v);
  if (from == DType::Float32) return t >= 2147483647.0 ? 2147483647 : t <= -2147483648.0 ? (-2147483647 - 1) : int32_t(t);
  const double wrapped = t - 4294967296.0 * floor(t / 4294967296.0);  // in [0, 2^32), as JavaScript's `| 0`
  return static_cast<int32_t>(static_cast<uint32_t>(wrapped));
}

__device__ void write(void* dst, DType t, int64_t i, double v, DType from, double scale) {
  const bool finite = isfinite(v);
  switch (t) {
    case DType::Float32: static_cast<float*>(dst)[i] = static_cast<float>(__dmul_rn(v, scale)); return;
    case DType::Int32: static_cast<int32_t*>(dst)[i] = to_int32(v, from); return;
    case DType::Int64:
      static_cast<long long*>(dst)[i] = finite && fabs(v) < 9.2e18 ? static_cast<long long>(trunc(v)) : 0;
      return;
    case DType::Uint8:
      static_cast<uint8_t*>(dst)[i] = finite ? static_cast<uint8_t>(static_cast<long long>(fmod(trunc(v), 256.0)) & 0xff) : 0;
      return;
    case DType::Bool: static_cast<uint8_t*>(dst)[i] = v != 0.0 ? 1 : 0; return;
    case DType::Float16: static_cast<uint16_t*>(dst)[i] = float_to_half(static_cast<float>(v)); return;
    case DType::Bfloat16: static_cast<uint16_t*>(dst)[i] = float_to_bfloat16(static_cast<float>(v)); return;
  }
}

__global__ void cast_kernel(const void* src, DType from, void* dst, DType to, int64_t n, double scale) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    write(dst, to, i, read(src, from, i), from, scale);
}

}  // namespace

void cast(const void* src, DType from, void* dst, DType to, int64_t n, double scale, int device) {
  cudaStream_t stream = stream_for("cudaCast", device);
  if (n == 0) return;
  cast_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(src, from, dst, to, n, scale);
  GRAFT_CUDA_CHECK_LAUNCH("cudaCast", cast_kernel);
}

}  // namespace graft::cuda
