// Max pooling of one output row on AVX-512: x (N,C,H,W), y and indices (N,C,P,Q), indices ih*W+iw.
// The row is read from a copy of its plane padded with -inf (pool.cc), so every window lies inside
// the copy; 16 outputs per vector, one vector per tap: stride 1 is one masked load, stride 2 two
// loads whose even elements are picked by one permute, other strides a gather. The rule per tap is
// pool.cc's (a larger value or a NaN takes the place, in scan order), so the bits are the same.
// Only called when graft::use_avx512() (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl).
#include <immintrin.h>

#include <algorithm>
#include <limits>

#include "graft/pool.h"

namespace graft::cpu::pool_detail {
namespace {

constexpr int kLanes = 16;

// Lanes [0, count) of a 16-lane mask; count may lie outside [0, 16].
inline __mmask16 first_lanes(int64_t count) {
  return count <= 0 ? 0 : count >= kLanes ? 0xFFFF : static_cast<__mmask16>((1u << count) - 1);
}

// Values src[o * stride] for the lanes o in `lanes` (0 elsewhere); src[0..] lies in the padded copy.
inline __m512 load_strided(const float* src, int64_t stride, __mmask16 lanes, int64_t count, __m512i offsets) {
  if (stride == 1) return _mm512_maskz_loadu_ps(lanes, src);
  if (stride == 2) {  // elements 0 .. 2*count-2 of src, the even ones
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512 a = _mm512_maskz_loadu_ps(first_lanes(2 * count - 1), src);
    const __m512 b = _mm512_maskz_loadu_ps(first_lanes(2 * count - 1 - kLanes), src + kLanes);
    return _mm512_permutex2var_ps(a, even, b);
  }
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, offsets, src, 4);
}

// Output rows [oh, oh + kRows) of one plane: yrow[r*Q + ow], irow[r*Q + ow] for ow in [0, Q), from
// `pad`, the plane padded with -inf to `cols` columns (padded row = input row + pad_h, padded column =
// input column + pad_w). kRows rows at a time keep kRows compare-and-select chains in flight.
// Outputs start at -inf with index -1 and padding (-inf) is never taken: a window whose inputs are all
// -inf keeps -1, for the caller to redo.
template <int kRows>
void max_rows(const Pool2dParams& p, const float* pad, int64_t cols, int64_t oh, float* yrow, int32_t* irow) {
  const int64_t Q = p.q(), sw = p.stride_w;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i offsets = _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(sw)));  // o * sw
  for (int64_t q0 = 0; q0 < Q; q0 += kLanes) {
    const int64_t count = std::min<int64_t>(kLanes, Q - q0);
    const __mmask16 lanes = first_lanes(count);
    __m512 best[kRows];
    __m512i best_index[kRows];
    for (int r = 0; r < kRows; ++r) {
      best[r] = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
      best_index[r] = _mm512_set1_epi32(-1);
    }
    for (int64_t i = 0; i < p.kh; ++i)
      for (int64_t j = 0; j < p.kw; ++j)
        for (int r = 0; r < kRows; ++r) {
          const int64_t row = (oh + r) * p.stride_h + i * p.dil_h, col = q0 * sw + j * p.dil_w;  // in the copy
          const __m512 v = load_strided(pad + row * cols + col, sw, lanes, count, offsets);
          const int32_t base = static_cast<int32_t>((row - p.pad_h) * p.w + col - p.pad_w);
          const __mmask16 take = _mm512_mask_cmp_ps_mask(lanes, v, best[r], _CMP_GT_OQ) |
                                 _mm512_mask_cmp_ps_mask(lanes, v, v, _CMP_UNORD_Q);
          best[r] = _mm512_mask_mov_ps(best[r], take, v);
          best_index[r] =
              _mm512_mask_mov_epi32(best_index[r], take, _mm512_add_epi32(_mm512_set1_epi32(base), offsets));
        }
    for (int r = 0; r < kRows; ++r) {
      _mm512_mask_storeu_ps(yrow + r * Q + q0, lanes, best[r]);
      _mm512_mask_storeu_epi32(irow + r * Q + q0, lanes, best_index[r]);
    }
  }
}

}  // namespace

// Output rows [oh, oh + rows) of one plane (see max_rows), four at a time.
void max_rows_avx512(const Pool2dParams& p, const float* pad, int64_t cols, int64_t oh, int64_t rows, float* yrow,
                     int32_t* irow) {
  const int64_t Q = p.q();
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) max_rows<4>(p, pad, cols, oh + r, yrow + r * Q, irow + r * Q);
  for (; r < rows; ++r) max_rows<1>(p, pad, cols, oh + r, yrow + r * Q, irow + r * Q);
}

}  // namespace graft::cpu::pool_detail
