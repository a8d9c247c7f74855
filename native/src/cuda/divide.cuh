// Integer division by a divisor fixed for a whole launch (a tensor's dim, a filter's size, a stride), for
// the index arithmetic of the elementwise, copy, pooling and convolution kernels.
//
// GPUs have no integer divide instruction: nvcc expands n / d into about 20 instructions for 32-bit
// operands and a much longer sequence for 64-bit ones, so a kernel that turns a linear index into
// coordinates spends more on division than on its memory traffic. Divider<int32_t> does what compilers
// do for a constant divisor (Granlund and Montgomery, "Division by invariant integers using
// multiplication", 1994): the host works out a multiplier once, and each division is a multiply-high, an
// add and a shift. Divider<int64_t> is the plain division, for tensors past 2^31 elements.
//
// Why Divider<int32_t> is exact. Let s = ceil(log2 d), so 2^(s-1) < d <= 2^s, and
// m = floor(2^32 (2^s - d) / d) + 1, at most 2^32 - 7 (2^s - d < d). Then M = 2^32 + m = floor(2^(32+s) / d) + 1
// = (2^(32+s) + e) / d for some 0 < e <= d. For n = q d + r with 0 <= r < d and n < 2^31:
//   n M / 2^(32+s) = q + r/d + n e / (d 2^(32+s)),  and  n e / (d 2^(32+s)) < 2^31 / 2^(32+s) < 1/d,
// so the fractional part stays below (d-1)/d + 1/d = 1 and floor(n M / 2^(32+s)) = q. The device forms
// floor(n M / 2^32) as umulhi(n, m) + n (no overflow: both terms are below 2^31), then shifts right by s.
// native/test/divide.test.ts checks it against plain division on edge and random operands.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "graft/runtime.h"

namespace graft::cuda {

template <typename I>
struct QuotientRemainder {
  I quotient, remainder;
};

template <typename I>
struct Divider;

// Dividends in [0, 2^31), divisors in [1, 2^31).
template <>
struct Divider<int32_t> {
  int32_t divisor = 1;
  uint32_t multiplier = 1, shift = 0;

  Divider() = default;
  explicit Divider(int64_t d) : divisor(static_cast<int32_t>(d)) {  // host only
    if (d < 1 || d > INT32_MAX) throw Error("Divider: divisor " + std::to_string(d) + " is outside [1, 2^31)");
    while ((uint64_t(1) << shift) < uint64_t(d)) ++shift;
    multiplier = static_cast<uint32_t>(((uint64_t(1) << 32) * ((uint64_t(1) << shift) - uint64_t(d))) / uint64_t(d) + 1);
  }

  __device__ __forceinline__ int32_t div(int32_t n) const {
    return static_cast<int32_t>((__umulhi(static_cast<uint32_t>(n), multiplier) + static_cast<uint32_t>(n)) >> shift);
  }
  __device__ __forceinline__ QuotientRemainder<int32_t> divmod(int32_t n) const {
    const int32_t q = div(n);
    return {q, n - q * divisor};
  }
};

// Non-negative dividends, divisors >= 1.
template <>
struct Divider<int64_t> {
  int64_t divisor = 1;

  Divider() = default;
  explicit Divider(int64_t d) : divisor(d) {  // host only
    if (d < 1) throw Error("Divider: divisor " + std::to_string(d) + " is below 1");
  }

  __device__ __forceinline__ int64_t div(int64_t n) const { return n / divisor; }
  __device__ __forceinline__ QuotientRemainder<int64_t> divmod(int64_t n) const {
    const int64_t q = n / divisor;
    return {q, n - q * divisor};
  }
};

// (outer, mid, inner) coordinates of row-major position n in an (outer, mid, inner) layout, from
// dividers by the mid and inner sizes: two divisions.
template <typename I>
struct Coords3 {
  I outer, mid, inner;
};
template <typename I>
__device__ __forceinline__ Coords3<I> split3(I n, const Divider<I>& by_mid, const Divider<I>& by_inner) {
  const QuotientRemainder<I> in = by_inner.divmod(n), mid = by_mid.divmod(in.quotient);
  return {mid.quotient, mid.remainder, in.remainder};
}

// GRAFT_CUDA_INDEX64=1 makes every kernel take its 64-bit index path, which otherwise only tensors past
// 2^31 elements reach, so the tests can run that path on small inputs.
inline bool wide_indices_forced() {
  static const bool forced = [] {
    const char* value = std::getenv("GRAFT_CUDA_INDEX64");
    return value != nullptr && value[0] != '\0' && std::string(value) != "0";
  }();
  return forced;
}

// Whether a kernel whose indices (and divisors) all stay in [0, largest] may run in int32_t.
inline bool narrow_indices(int64_t largest) { return largest >= 0 && largest <= INT32_MAX && !wide_indices_forced(); }

// Calls fn(I{}) with I = int32_t where narrow_indices(largest), else with I = int64_t.
template <typename Fn>
void with_index_type(int64_t largest, Fn fn) {
  if (narrow_indices(largest)) fn(int32_t{});
  else fn(int64_t{});
}

}  // namespace graft::cuda
