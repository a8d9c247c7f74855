// CPU strided copy: src view -> dst view of `shape` (views must not overlap), float32 and int32;
// and contiguous dtype casts (n elements). Dims are coalesced first, so a contiguous block becomes
// one memcpy and a transpose becomes a 2-d strided loop.
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/strided_loop.h"
#include "graft/elementwise.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

template <typename T>
void copy_view(const Dims& shape, const T* src, const Dims& src_strides, T* dst, const Dims& dst_strides) {
  const auto layout = strided::coalesce<2>(shape, {&dst_strides, &src_strides});
  strided::for_each_row<2>(layout, [&](const auto& off, int64_t n, const auto& s) {
    T* d = dst + off[0];
    const T* from = src + off[1];
    if (s[0] == 1 && s[1] == 1) std::memcpy(d, from, static_cast<size_t>(n) * sizeof(T));
    else if (s[0] == 1) for (int64_t i = 0; i < n; ++i) d[i] = from[i * s[1]];
    else for (int64_t i = 0; i < n; ++i) d[i * s[0]] = from[i * s[1]];
  });
}

template <typename T>
void cast_range(const T* src, float* dst, int64_t n, float scale) {
  parallel_for(0, n, strided::kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dst[i] = static_cast<float>(double(src[i]) * double(scale));
  });
}

}  // namespace

void strided_copy(const Dims& shape, const float* src, const Dims& src_strides, float* dst,
                  const Dims& dst_strides) {
  copy_view(shape, src, src_strides, dst, dst_strides);
}

void strided_copy(const Dims& shape, const int32_t* src, const Dims& src_strides, int32_t* dst,
                  const Dims& dst_strides) {
  copy_view(shape, src, src_strides, dst, dst_strides);
}

void cast_to_float32(const uint8_t* src, float* dst, int64_t n, float scale) { cast_range(src, dst, n, scale); }
void cast_to_float32(const int32_t* src, float* dst, int64_t n, float scale) { cast_range(src, dst, n, scale); }

void cast_float32_to_int32(const float* src, int32_t* dst, int64_t n) {
  parallel_for(0, n, strided::kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float v = src[i];
      // In-range values truncate; NaN gives 0 and the rest saturate (a plain cast would be undefined).
      if (v > -2147483648.0f && v < 2147483648.0f) dst[i] = static_cast<int32_t>(v);
      else if (v != v) dst[i] = 0;
      else dst[i] = v > 0 ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
    }
  });
}

}  // namespace graft::cpu
