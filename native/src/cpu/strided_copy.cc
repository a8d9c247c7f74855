// CPU strided copy: src view -> dst view of `shape` (views must not overlap), float32 and int32;
// and contiguous dtype casts (n elements). Dims are coalesced first, so a contiguous block becomes
// one memcpy and a transpose becomes a 2-d strided loop.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/strided_loop.h"
#include "graft/elementwise.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

// Transposed copy: the last two coalesced dims (R, C) are walked contiguously by dst along C and by
// src along R. Copying 32x32 tiles keeps both sides' cache lines in L1 instead of streaming one of
// them with a large stride. Returns false, doing nothing, for any other layout.
template <typename T>
bool copy_transposed(const strided::Layout<2>& layout, const T* src, T* dst) {
  constexpr int64_t kTile = 32;
  const int64_t dims = static_cast<int64_t>(layout.shape.size());
  if (dims < 2) return false;
  const int64_t rows = layout.shape[dims - 2], cols = layout.shape[dims - 1];
  const int64_t d_row = layout.strides[0][dims - 2], d_col = layout.strides[0][dims - 1];
  const int64_t s_row = layout.strides[1][dims - 2], s_col = layout.strides[1][dims - 1];
  if (d_col != 1 || s_row != 1 || rows < kTile || cols < kTile) return false;
  const int64_t batches = layout.total / (rows * cols), row_tiles = (rows + kTile - 1) / kTile;
  parallel_for(0, batches * row_tiles, std::max<int64_t>(1, strided::kGrain / (kTile * cols)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t d_off = 0, s_off = 0;
      for (int64_t d = dims - 3, rest = t / row_tiles; d >= 0; --d) {
        const int64_t index = rest % layout.shape[d];
        rest /= layout.shape[d];
        d_off += index * layout.strides[0][d];
        s_off += index * layout.strides[1][d];
      }
      const int64_t r0 = (t % row_tiles) * kTile, r1 = std::min(rows, r0 + kTile);
      for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
        const int64_t c1 = std::min(cols, c0 + kTile);
        for (int64_t r = r0; r < r1; ++r) {
          T* out = dst + d_off + r * d_row;
          const T* in = src + s_off + r;
          for (int64_t c = c0; c < c1; ++c) out[c] = in[c * s_col];
        }
      }
    }
  });
  return true;
}

template <typename T>
void copy_view(const Dims& shape, const T* src, const Dims& src_strides, T* dst, const Dims& dst_strides) {
  const auto layout = strided::coalesce<2>(shape, {&dst_strides, &src_strides});
  if (layout.total == 0 || copy_transposed(layout, src, dst)) return;
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
