// CPU broadcasting binary ops and where: a, b, cond strided views of `shape` (stride 0 broadcasts),
// out (shape) contiguous. Dims are coalesced (strided_loop.h), then each row runs a loop specialised
// for contiguous, scalar or broadcast operands; with AVX2 the same loops run from binary_avx2.cc.
// A transposed operand is walked in 32-column tiles.
#include <algorithm>
#include <array>

#include "cpu/binary_avx2.h"
#include "cpu/binary_ops.h"
#include "cpu/strided_loop.h"
#include "graft/elementwise.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

Dims contiguous_strides(const Dims& shape) {
  Dims strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

// Transposed operand: when out runs along the last dim but an input runs along the one before it,
// rows are visited in 32-column tiles, so the input's cache lines fetched for one row serve the next
// 15 rows too. Returns false, doing nothing, for any other layout.
template <typename Row>
bool for_each_tile_row(const strided::Layout<3>& layout, Row row) {
  constexpr int64_t kTile = 32;
  const int64_t dims = static_cast<int64_t>(layout.shape.size());
  if (dims < 2) return false;
  const int64_t rows = layout.shape[dims - 2], cols = layout.shape[dims - 1];
  const auto& st = layout.strides;
  const auto transposed = [&](int k) { return st[k][dims - 2] == 1 && (st[k][dims - 1] > 1 || st[k][dims - 1] < -1); };
  if (st[0][dims - 1] != 1 || !(transposed(1) || transposed(2)) || rows < kTile || cols < kTile) return false;
  const int64_t batches = layout.total / (rows * cols), row_tiles = (rows + kTile - 1) / kTile;
  parallel_for(0, batches * row_tiles, std::max<int64_t>(1, strided::kGrain / (kTile * cols)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      std::array<int64_t, 3> base{};
      for (int64_t d = dims - 3, rest = t / row_tiles; d >= 0; --d) {
        const int64_t index = rest % layout.shape[d];
        rest /= layout.shape[d];
        for (int k = 0; k < 3; ++k) base[k] += index * st[k][d];
      }
      const int64_t r0 = (t % row_tiles) * kTile, r1 = std::min(rows, r0 + kTile);
      for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
        const int64_t len = std::min(cols, c0 + kTile) - c0;
        for (int64_t r = r0; r < r1; ++r) {
          std::array<int64_t, 3> off;
          for (int k = 0; k < 3; ++k) off[k] = base[k] + r * st[k][dims - 2] + c0 * st[k][dims - 1];
          row(off, len, std::array<int64_t, 3>{st[0][dims - 1], st[1][dims - 1], st[2][dims - 1]});
        }
      }
    }
  });
  return true;
}

}  // namespace

void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out) {
  const Dims out_strides = contiguous_strides(shape);
  const auto layout = strided::coalesce<3>(shape, {&out_strides, &a_strides, &b_strides});
  const bool avx2 = use_avx2();
  const auto row = [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
    if (avx2) avx2::binary_row(op, a + off[1], s[1], b + off[2], s[2], out + off[0], s[0], n);
    else binary_row_any(op, a + off[1], s[1], b + off[2], s[2], out + off[0], s[0], n);
  };
  if (layout.total == 0 || for_each_tile_row(layout, row)) return;
  strided::for_each_row<3>(layout, row);
}

void where(const Dims& shape, const float* cond, const Dims& cond_strides, const float* a,
           const Dims& a_strides, const float* b, const Dims& b_strides, float* out) {
  const Dims out_strides = contiguous_strides(shape);
  const auto layout = strided::coalesce<4>(shape, {&out_strides, &cond_strides, &a_strides, &b_strides});
  strided::for_each_row<4>(layout, [&](const auto& off, int64_t n, const auto& s) {
    const float* c = cond + off[1];
    const float* av = a + off[2];
    const float* bv = b + off[3];
    float* o = out + off[0];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = c[i] != 0.0f ? av[i] : bv[i];
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = c[i * s[1]] != 0.0f ? av[i * s[2]] : bv[i * s[3]];
    }
  });
}

}  // namespace graft::cpu
