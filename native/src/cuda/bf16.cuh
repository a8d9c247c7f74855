// float32 -> bfloat16 rounding on the device, shared by the cast kernel and the tensor-core kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace graft::cuda {

// The bfloat16 bits of `value`, rounded to nearest even; NaN stays a (quiet) NaN.
__device__ __forceinline__ uint16_t float_to_bfloat16(float value) {
  const uint32_t x = __float_as_uint(value);
  if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff)) return static_cast<uint16_t>(((x >> 16) | 0x40) & 0xffff);
  return static_cast<uint16_t>(((x + 0x7fff + ((x >> 16) & 1)) >> 16) & 0xffff);
}

// `value` rounded to the nearest bfloat16, kept in a float whose low 16 bits are zero.
__device__ __forceinline__ float round_bf16(float value) {
  return __uint_as_float(uint32_t(float_to_bfloat16(value)) << 16);
}

}  // namespace graft::cuda
