// Weight gradient of 3x3 convolutions (any stride, padding, dilation, groups), AVX-512,
// without a column matrix. x (N,C,H,W), dy (N,K,P,Q), dw (K,C/G,R,S):
//   dw[k,c,r,s] = sum over n, p, q of dy[n,k,p,q] * x[n, c, p*sh - pad_h + r*dil_h, q*sw - pad_w + s*dil_w]
//
// The pixels are cut into parts fixed by the shape alone (a few whole images, or a band of rows of
// one large image). For a part and 16 output channels, dy is transposed to dyT (pixel, 16 channels)
// and x copied into zero-padded planes xpad, so no tap needs a bounds check. Then, as in a GEMM
// micro-kernel, zmm accumulators hold dw for 16 channels k (the lanes) times NC = 2 input channels
// times 9 taps, and each pixel adds one dyT vector times a broadcast xpad value per accumulator: one
// load feeds 18 FMAs. Each part's sums go to its own buffer; the parts are added in
// order afterwards, so the bits do not depend on the thread count. Small maps make few parts (a
// batch of 64 4x4 maps is one): the 16-channel slivers of a part are then shared out among tasks.
// Only called when graft::use_avx512() (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl).
#include <immintrin.h>

#include <cstring>

#include "cpu/conv2d_internal.h"

namespace graft::cpu::conv2d_detail {
namespace {

constexpr int kLanes = 16;
constexpr int64_t kPartPixels = 1024;  // output pixels per part: dyT of a part is at most 64 KiB

// A part: images [n0, n1), output rows [p0, p1) of each.
struct Part {
  int64_t n0, n1, p0, p1;
};

struct Layout {
  int64_t parts, images_per_part, rows_per_part, bands;  // bands: row bands per image (1 when whole images)
  Part part(const Conv2dParams& p, int64_t j) const {
    if (bands == 1) return {j * images_per_part, std::min(p.n, (j + 1) * images_per_part), 0, p.p()};
    const int64_t n = j / bands, band = j % bands;
    return {n, n + 1, band * rows_per_part, std::min(p.p(), (band + 1) * rows_per_part)};
  }
};

Layout layout(const Conv2dParams& p) {
  const int64_t PQ = p.p() * p.q();
  Layout l{};
  if (PQ <= kPartPixels) {
    l.images_per_part = std::max<int64_t>(1, kPartPixels / PQ), l.rows_per_part = p.p(), l.bands = 1;
    l.parts = (p.n + l.images_per_part - 1) / l.images_per_part;
  } else {
    l.images_per_part = 1, l.rows_per_part = std::max<int64_t>(1, kPartPixels / p.q());
    l.bands = (p.p() + l.rows_per_part - 1) / l.rows_per_part, l.parts = p.n * l.bands;
  }
  return l;
}

// Padded geometry of a part's x copy: rows of wp floats, rp rows per image.
struct Pad {
  int64_t wp, rp, image, channel;  // row width, rows per image, floats per image, floats per channel
};

Pad pad_of(const Conv2dParams& p, const Part& part) {
  Pad d;
  d.wp = p.w + 2 * p.pad_w;
  d.rp = (part.p1 - part.p0 - 1) * p.stride_h + (p.r - 1) * p.dil_h + 1;
  d.image = d.rp * d.wp;
  d.channel = (part.n1 - part.n0) * d.image;
  return d;
}

// xpad[c][i][row][col] = x[n0+i, g*Cg+c, p0*sh + row - pad_h, col - pad_w], 0 outside the image.
void copy_padded(const Conv2dParams& p, const float* x, const Part& part, const Pad& d, int64_t g, float* xpad) {
  for (int64_t c = 0; c < p.cg(); ++c)
    for (int64_t i = 0; i < part.n1 - part.n0; ++i) {
      const float* plane = x + ((part.n0 + i) * p.c + g * p.cg() + c) * p.h * p.w;
      float* out = xpad + c * d.channel + i * d.image;
      for (int64_t row = 0; row < d.rp; ++row, out += d.wp) {
        const int64_t ih = part.p0 * p.stride_h + row - p.pad_h;
        std::memset(out, 0, sizeof(float) * d.wp);
        if (ih >= 0 && ih < p.h) std::memcpy(out + p.pad_w, plane + ih * p.w, sizeof(float) * p.w);
      }
    }
}

// dyT[pixel][lane] = dy[n, g*Kg + k0 + lane, p, q] over the part's pixels in (image, row, column)
// order; lanes past Kg are 0.
void transpose_dy(const Conv2dParams& p, const float* dy, const Part& part, int64_t g, int64_t k0, float* dyT) {
  const int64_t PQ = p.p() * p.q(), rows = part.p1 - part.p0, pixels = rows * p.q();
  const int64_t lanes = std::min<int64_t>(kLanes, p.kg() - k0);
  for (int64_t i = 0; i < part.n1 - part.n0; ++i) {
    float* out = dyT + i * pixels * kLanes;
    const float* src = dy + ((part.n0 + i) * p.k + g * p.kg() + k0) * PQ + part.p0 * p.q();
    for (int64_t j = 0; j < pixels; ++j)
      for (int64_t lane = 0; lane < kLanes; ++lane) out[j * kLanes + lane] = lane < lanes ? src[lane * PQ + j] : 0.0f;
  }
}

// acc[c][r][s] (lanes: 16 output channels) over every pixel of the part, for input channels c0..c0+NC.
// kUnit: stride and dilation 1 along the row, so every tap's address is a constant offset.
template <int R, int S, int NC, bool kUnit>
void tile(const Conv2dParams& p, const Part& part, const Pad& d, const float* xpad, const float* dyT, int64_t c0,
          float* out, int64_t rows_out) {
  __m512 acc[NC][R][S];
  for (int c = 0; c < NC; ++c)
    for (int r = 0; r < R; ++r)
      for (int s = 0; s < S; ++s) acc[c][r][s] = _mm512_setzero_ps();
  const int64_t rows = part.p1 - part.p0, Q = p.q(), dh = p.dil_h, sh = p.stride_h;
  const int64_t dw = kUnit ? 1 : p.dil_w, sw = kUnit ? 1 : p.stride_w;
  for (int64_t i = 0; i < part.n1 - part.n0; ++i)
    for (int64_t row = 0; row < rows; ++row) {
      const float* xr[NC][R];
      for (int c = 0; c < NC; ++c)
        for (int r = 0; r < R; ++r) xr[c][r] = xpad + (c0 + c) * d.channel + i * d.image + (row * sh + r * dh) * d.wp;
      const float* dv_row = dyT + (i * rows + row) * Q * kLanes;
      for (int64_t q = 0; q < Q; ++q) {
        const __m512 dv = _mm512_load_ps(dv_row + q * kLanes);
        for (int c = 0; c < NC; ++c)
          for (int r = 0; r < R; ++r)
            for (int s = 0; s < S; ++s) acc[c][r][s] = _mm512_fmadd_ps(dv, _mm512_set1_ps(xr[c][r][q * sw + s * dw]), acc[c][r][s]);
      }
    }
  // out (Kg rows of Cg*R*S): the lanes of each accumulator are 16 rows.
  const int64_t entries = p.cg() * R * S;
  alignas(64) float lanes[kLanes];
  for (int c = 0; c < NC; ++c)
    for (int r = 0; r < R; ++r)
      for (int s = 0; s < S; ++s) {
        _mm512_store_ps(lanes, acc[c][r][s]);
        for (int64_t k = 0; k < rows_out; ++k) out[k * entries + ((c0 + c) * R + r) * S + s] = lanes[k];
      }
}

template <int R, int S, int NC, bool kUnit>
void channels(const Conv2dParams& p, const Part& part, const Pad& d, const float* xpad, const float* dyT,
              float* out, int64_t rows_out) {
  int64_t c = 0;
  for (; c + NC <= p.cg(); c += NC) tile<R, S, NC, kUnit>(p, part, d, xpad, dyT, c, out, rows_out);
  for (; c < p.cg(); ++c) tile<R, S, 1, kUnit>(p, part, d, xpad, dyT, c, out, rows_out);
}

template <int R, int S, int NC>
void all_channels(const Conv2dParams& p, const Part& part, const Pad& d, const float* xpad, const float* dyT,
                  float* out, int64_t rows_out) {
  if (p.stride_w == 1 && p.dil_w == 1) channels<R, S, NC, true>(p, part, d, xpad, dyT, out, rows_out);
  else channels<R, S, NC, false>(p, part, d, xpad, dyT, out, rows_out);
}

}  // namespace

bool fast_wgrad_applies(const Conv2dParams& p) {
  // 1x1 layers do too little work per pixel to pay for transposing dy, single-pixel rows too little
  // per row. Past 128 output channels im2col + GEMM was measured faster on rows of 7 or more
  // (14x14 and 7x7 maps of 256-512 channels), but not on rows of 2-4 (ResNet-18 on 32x32 inputs at
  // batch 64: 4x4 maps, 128 -> 256 channels at stride 2, 1.8 ms here against 4.4 ms, whose GEMMs were
  // only a few images deep). Rows of 4-6 with <= 128 channels: 4x4 maps of 128 channels, 2.2 ms
  // against 5.2 ms (2 threads).
  return p.r == 3 && p.s == 3 && p.n > 0 && p.cg() > 0 && p.kg() > 0 && p.p() > 0 && p.q() >= 2 &&
         (p.kg() <= 128 ? p.q() >= 4 : p.q() <= 4);
}

void fast_wgrad(const Conv2dParams& p, const float* x, const float* dy, float* dw) {
  const Layout l = layout(p);
  const int64_t slivers = (p.kg() + kLanes - 1) / kLanes, WS = p.w_size();
  const int64_t group_floats = p.kg() * p.cg() * p.r * p.s;
  Scratch partial(l.parts * WS);
  // Tasks: (part, group, range of slivers); x is copied once per task, dy transposed per 16 output
  // channels. Each sliver's sums are the same whichever task holds it, so the ranges may follow the
  // thread count: few (part, group) pairs get their slivers split so every thread has work.
  const int64_t pairs = l.parts * p.groups;
  const int64_t splits = std::min(slivers, std::max<int64_t>(1, (2 * num_threads() + pairs - 1) / pairs));
  const Pad largest = pad_of(p, l.part(p, 0));  // the first part is never smaller than another
  const int64_t max_pixels = (largest.channel / largest.image) * (l.part(p, 0).p1 - l.part(p, 0).p0) * p.q();
  parallel_for(0, pairs * splits, 1, [&](int64_t lo, int64_t hi) {
    Scratch xpad(p.cg() * largest.channel), dyT(max_pixels * kLanes);
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t pair = task / splits, split = task % splits;
      const int64_t j = pair / p.groups, g = pair % p.groups;
      const Part part = l.part(p, j);
      const Pad d = pad_of(p, part);
      copy_padded(p, x, part, d, g, xpad.data());
      for (int64_t o = split * slivers / splits; o < (split + 1) * slivers / splits; ++o) {
        transpose_dy(p, dy, part, g, o * kLanes, dyT.data());
        float* out = partial.data() + j * WS + g * group_floats + o * kLanes * p.cg() * p.r * p.s;
        const int64_t rows_out = std::min<int64_t>(kLanes, p.kg() - o * kLanes);
        all_channels<3, 3, 2>(p, part, d, xpad.data(), dyT.data(), out, rows_out);
      }
    }
  });
  const float* parts_data = partial.data();
  parallel_for(0, WS, 1 << 12, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      float acc = parts_data[e];
      for (int64_t j = 1; j < l.parts; ++j) acc += parts_data[j * WS + e];
      dw[e] = acc;
    }
  });
}

}  // namespace graft::cpu::conv2d_detail
