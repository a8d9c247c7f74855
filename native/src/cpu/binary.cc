// CPU broadcasting binary ops and where: a, b, cond strided views of `shape` (stride 0 broadcasts),
// out (shape) contiguous. Dims are coalesced (strided_loop.h), then each row runs a loop specialised
// for contiguous, scalar or broadcast operands; with AVX2 the same loops run from binary_avx2.cc.
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

}  // namespace

void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out) {
  const Dims out_strides = contiguous_strides(shape);
  const auto layout = strided::coalesce<3>(shape, {&out_strides, &a_strides, &b_strides});
  const bool avx2 = use_avx2();
  strided::for_each_row<3>(layout, [&](const auto& off, int64_t n, const auto& s) {
    if (avx2) avx2::binary_row(op, a + off[1], s[1], b + off[2], s[2], out + off[0], s[0], n);
    else binary_row_any(op, a + off[1], s[1], b + off[2], s[2], out + off[0], s[0], n);
  });
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
