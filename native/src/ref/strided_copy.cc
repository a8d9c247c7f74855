// Reference strided copy (src view -> dst view of `shape`) and dtype casts (contiguous, n elements).
#include <cmath>
#include <limits>

#include "graft/elementwise.h"
#include "ref/strided_index.h"

namespace graft::ref {
namespace {

template <typename T>
void copy_view(const Dims& shape, const T* src, const Dims& src_strides, T* dst, const Dims& dst_strides) {
  const int64_t total = total_elements(shape);
  for (int64_t i = 0; i < total; ++i)
    dst[strided_offset(i, shape, dst_strides)] = src[strided_offset(i, shape, src_strides)];
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

void cast_to_float32(const uint8_t* src, float* dst, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(double(src[i]) * double(scale));
}

void cast_to_float32(const int32_t* src, float* dst, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(double(src[i]) * double(scale));
}

void cast_float32_to_int32(const float* src, int32_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = std::trunc(double(src[i]));
    if (std::isnan(v)) dst[i] = 0;
    else if (v >= 2147483647.0) dst[i] = std::numeric_limits<int32_t>::max();
    else if (v <= -2147483648.0) dst[i] = std::numeric_limits<int32_t>::min();
    else dst[i] = static_cast<int32_t>(v);
  }
}

}  // namespace graft::ref
