// Direct AVX-512 convolution for stride-1 layers whose output rows are as wide as the input rows
// (Q == W: 3x3 pad 1, 5x5 pad 2, 3x3 dilation 2 pad 2, ...), the layers that dominate a ResNet step.
// x (N,C,H,W), w (K,C/G,R,S), y (N,K,P,Q).
//
// With stride 1 and Q == W, output pixel pq = p*W + q of a plane reads input pixel pq + dr*W + ds for
// tap (r, s) (dr = r*dil_h - pad_h, ds = s*dil_w - pad_w): a fixed shift of the flattened plane. So 16
// consecutive output pixels read 16 consecutive inputs per tap, one masked load (masked lanes, which
// would wrap into the next row or fall off the plane, read as 0 and never fault). The output pixels
// of all images are cut into blocks of 16 lanes; a block spans at most two images (planes of >= 16
// pixels), one load per image part ("segment"). No column matrix is ever built.
//   forward:          y block (16 channels x 16 pixels) += w (16 x C*R*S, packed) * taps of x, in
//                     zmm registers, one FMA chain per output element over (c, r, s) in order.
//   backward_data:    the same kernel on dy with the flipped, transposed weights (Q == W makes the
//                     transposed convolution a same-width stride-1 convolution again).
//   backward_weight:  dw[k][c,t] = sum over pixels of dy[k] * tap t of x[c]: lanes hold pixels, a
//                     4 x 6 tile of (k, (c,t)) accumulators runs over the blocks of a part, then each
//                     accumulator is reduced across lanes. Parts (fixed by the shape alone) add up in
//                     order, so the bits do not depend on the thread count.
// Only called when graft::use_avx512() (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl).
#include <immintrin.h>

#include <cstring>

#include "cpu/conv2d_internal.h"

namespace graft::cpu::conv2d_detail {
namespace {

constexpr int kLanes = 16;
constexpr int kMaxSegments = 2;     // planes of >= 16 pixels: a block touches at most two images
constexpr int64_t kPartBlocks = 128;  // weight-gradient blocks per part: a part's rows stay near L1

// Geometry shared by the three passes: a source of c_in planes (h_in x width) per group, a
// destination of c_out planes (h_out x width) per group, and the taps' flattened-plane shifts.
struct Direct {
  int64_t n, width, h_in, h_out, c_in, c_out, groups;
  int taps;
  int64_t dr[kMaxDirectTaps], ds[kMaxDirectTaps];
  int64_t plane_in() const { return h_in * width; }
  int64_t plane_out() const { return h_out * width; }
  int64_t blocks() const { return (n * plane_out() + kLanes - 1) / kLanes; }
};

// Forward roles: source x, destination y; tap t = r*S + s.
Direct forward_geometry(const Conv2dParams& p) {
  Direct d{p.n, p.w, p.h, p.p(), p.cg(), p.kg(), p.groups, static_cast<int>(p.r * p.s), {}, {}};
  for (int64_t r = 0; r < p.r; ++r)
    for (int64_t s = 0; s < p.s; ++s) d.dr[r * p.s + s] = r * p.dil_h - p.pad_h, d.ds[r * p.s + s] = s * p.dil_w - p.pad_w;
  return d;
}

// Backward-data roles: source dy, destination dx; dx[h][w] reads dy[h + pad - r*dil][w + pad - s*dil].
// Tap index t = T-1 - (r*S + s) (the flipped kernel), so the source is read at rising offsets as in
// the forward pass.
Direct backward_data_geometry(const Conv2dParams& p) {
  const int taps = static_cast<int>(p.r * p.s);
  Direct d{p.n, p.w, p.p(), p.h, p.kg(), p.cg(), p.groups, taps, {}, {}};
  for (int64_t r = 0; r < p.r; ++r)
    for (int64_t s = 0; s < p.s; ++s) {
      const int64_t t = taps - 1 - (r * p.s + s);
      d.dr[t] = p.pad_h - r * p.dil_h, d.ds[t] = p.pad_w - s * p.dil_w;
    }
  return d;
}

// One block of 16 destination pixels: its image segments and, per tap, the lanes whose source pixel
// lies inside the plane. Offsets are in floats, for channel 0 of group 0, minus the segment's first
// lane, so lane j of a segment reads base[j].
struct Block {
  int segments;
  int64_t src[kMaxSegments], dst[kMaxSegments];
  __mmask16 lanes[kMaxSegments];
  __mmask16 tap[kMaxDirectTaps];
};

void describe_block(const Direct& d, int64_t b, Block& blk) {
  const int64_t plane_out = d.plane_out(), total = d.n * plane_out;
  const int64_t first = b * kLanes, count = std::min<int64_t>(kLanes, total - first);
  alignas(64) int32_t row[kLanes], col[kLanes];
  int64_t image = first / plane_out, pq = first % plane_out;
  blk.segments = 0;
  for (int j = 0; j < count; ++j, ++pq) {
    if (pq == plane_out) ++image, pq = 0;
    if (j == 0 || pq == 0) {  // a new segment starts at lane j
      const int s = blk.segments++;
      blk.src[s] = image * d.groups * d.c_in * d.plane_in() + pq - j;
      blk.dst[s] = image * d.groups * d.c_out * plane_out + pq - j;
      blk.lanes[s] = 0;
    }
    blk.lanes[blk.segments - 1] |= static_cast<__mmask16>(1u << j);
    row[j] = static_cast<int32_t>(pq / d.width), col[j] = static_cast<int32_t>(pq % d.width);
  }
  for (int j = static_cast<int>(count); j < kLanes; ++j) row[j] = col[j] = 0;  // outside every segment
  const __m512i rows = _mm512_load_si512(row), cols = _mm512_load_si512(col);
  for (int t = 0; t < d.taps; ++t) {
    const __m512i r = _mm512_add_epi32(rows, _mm512_set1_epi32(static_cast<int32_t>(d.dr[t])));
    const __m512i c = _mm512_add_epi32(cols, _mm512_set1_epi32(static_cast<int32_t>(d.ds[t])));
    __mmask16 ok = _mm512_cmpge_epi32_mask(r, _mm512_setzero_si512());
    ok &= _mm512_cmplt_epi32_mask(r, _mm512_set1_epi32(static_cast<int32_t>(d.h_in)));
    ok &= _mm512_cmpge_epi32_mask(c, _mm512_setzero_si512());
    ok &= _mm512_cmplt_epi32_mask(c, _mm512_set1_epi32(static_cast<int32_t>(d.width)));
    blk.tap[t] = ok;
  }
}

// The 16 source values of tap t at offset `off` (channel and shift) for a block's lanes, 0 outside.
inline __m512 load_tap(const Block& blk, const float* src, int64_t off, int t) {
  __m512 v = _mm512_maskz_loadu_ps(blk.tap[t] & blk.lanes[0], src + blk.src[0] + off);
  if (blk.segments > 1) v = _mm512_mask_loadu_ps(v, blk.tap[t] & blk.lanes[1], src + blk.src[1] + off);
  return v;
}

// Destination block of channels [o*16, o*16+16) of group g from packed weights wp (c_in, taps, 16);
// off[t] is tap t's shift in the flattened source plane.
void forward_block(const Direct& d, const Block& blk, const int64_t* off, const float* src, const float* wp,
                   float* dst, int64_t g, int64_t o) {
  __m512 acc[kLanes];
#pragma GCC unroll 16
  for (int i = 0; i < kLanes; ++i) acc[i] = _mm512_setzero_ps();
  const float* src_c = src + g * d.c_in * d.plane_in();
  for (int64_t ci = 0; ci < d.c_in; ++ci, src_c += d.plane_in()) {
    for (int t = 0; t < d.taps; ++t, wp += kLanes) {
      const __m512 v = load_tap(blk, src_c, off[t], t);
#pragma GCC unroll 16
      for (int i = 0; i < kLanes; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(wp[i]), v, acc[i]);
    }
  }
  // Through a tile in memory: indexing acc by a run-time row would keep it on the stack in the loop.
  alignas(64) float tile[kLanes][kLanes];
#pragma GCC unroll 16
  for (int i = 0; i < kLanes; ++i) _mm512_store_ps(tile[i], acc[i]);
  const int64_t rows = std::min<int64_t>(kLanes, d.c_out - o * kLanes);
  float* dst_o = dst + (g * d.c_out + o * kLanes) * d.plane_out();
  for (int64_t i = 0; i < rows; ++i)
    for (int s = 0; s < blk.segments; ++s)
      _mm512_mask_storeu_ps(dst_o + i * d.plane_out() + blk.dst[s], blk.lanes[s], _mm512_load_ps(tile[i]));
}

// wp[((g*slivers + o)*c_in + ci)*taps + t][i] = weight(g, o*16 + i, ci, t), zero past c_out.
template <typename Weight>
void pack_weights(const Direct& d, float* wp, const Weight& weight) {
  const int64_t slivers = (d.c_out + kLanes - 1) / kLanes;
  parallel_for(0, d.groups * slivers, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t go = lo; go < hi; ++go) {
      const int64_t g = go / slivers, o = go % slivers;
      float* out = wp + go * d.c_in * d.taps * kLanes;
      for (int64_t ci = 0; ci < d.c_in; ++ci)
        for (int t = 0; t < d.taps; ++t, out += kLanes)
          for (int i = 0; i < kLanes; ++i) {
            const int64_t co = o * kLanes + i;
            out[i] = co < d.c_out ? weight(g, co, ci, t) : 0.0f;
          }
    }
  });
}

// Tasks of kGroupBlocks blocks; each sliver of weights (up to c_in*taps*64 bytes, from L2) serves
// every block of the task before the next sliver is read.
void run_direct(const Direct& d, const float* src, const float* wp, float* dst) {
  constexpr int64_t kGroupBlocks = 8;
  const int64_t slivers = (d.c_out + kLanes - 1) / kLanes, sliver_floats = d.c_in * d.taps * kLanes;
  const int64_t tasks = (d.blocks() + kGroupBlocks - 1) / kGroupBlocks;
  int64_t off[kMaxDirectTaps];
  for (int t = 0; t < d.taps; ++t) off[t] = d.dr[t] * d.width + d.ds[t];
  parallel_for(0, tasks, 1, [&](int64_t lo, int64_t hi) {
    Block blk[kGroupBlocks];
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t b0 = task * kGroupBlocks, nb = std::min(kGroupBlocks, d.blocks() - b0);
      for (int64_t b = 0; b < nb; ++b) describe_block(d, b0 + b, blk[b]);
      for (int64_t g = 0; g < d.groups; ++g)
        for (int64_t o = 0; o < slivers; ++o)
          for (int64_t b = 0; b < nb; ++b)
            forward_block(d, blk[b], off, src, wp + (g * slivers + o) * sliver_floats, dst, g, o);
    }
  });
}

// Weight-gradient tile: acc[i][e] = sum over the blocks of dy row k0+i times source entry e0+e
// (entry = c*taps + t), reduced across lanes into out (c_out rows of c_in*taps, group g).
template <int MK, int NE>
void weight_tile(const Direct& d, const Block* blocks, int64_t nblocks, const float* x, const float* dy,
                 int64_t g, int64_t k0, int64_t e0, float* out) {
  __m512 acc[MK][NE];
  for (int i = 0; i < MK; ++i)
    for (int e = 0; e < NE; ++e) acc[i][e] = _mm512_setzero_ps();
  int64_t off[NE];
  int tap[NE];
  for (int e = 0; e < NE; ++e) {
    const int64_t c = (e0 + e) / d.taps;
    tap[e] = static_cast<int>((e0 + e) % d.taps);
    off[e] = (g * d.c_in + c) * d.plane_in() + d.dr[tap[e]] * d.width + d.ds[tap[e]];
  }
  const int64_t dy_row = d.plane_out();
  const float* dy_k = dy + (g * d.c_out + k0) * dy_row;
  for (int64_t b = 0; b < nblocks; ++b) {
    const Block& blk = blocks[b];
    __m512 dv[MK];
    for (int i = 0; i < MK; ++i) {
      dv[i] = _mm512_maskz_loadu_ps(blk.lanes[0], dy_k + i * dy_row + blk.dst[0]);
      if (blk.segments > 1) dv[i] = _mm512_mask_loadu_ps(dv[i], blk.lanes[1], dy_k + i * dy_row + blk.dst[1]);
    }
    for (int e = 0; e < NE; ++e) {
      const __m512 xv = load_tap(blk, x, off[e], tap[e]);
      for (int i = 0; i < MK; ++i) acc[i][e] = _mm512_fmadd_ps(dv[i], xv, acc[i][e]);
    }
  }
  const int64_t entries = d.c_in * d.taps;
  for (int i = 0; i < MK; ++i)
    for (int e = 0; e < NE; ++e) out[(k0 + i) * entries + e0 + e] = _mm512_reduce_add_ps(acc[i][e]);
}

// out (c_out, c_in*taps) of group g, rows [k_lo, k_hi), from the given blocks.
void weight_rows(const Direct& d, const Block* blocks, int64_t nblocks, const float* x, const float* dy, int64_t g,
                 int64_t k_lo, int64_t k_hi, float* out) {
  const int64_t entries = d.c_in * d.taps;
  int64_t k = k_lo;
  for (; k + 4 <= k_hi; k += 4) {
    int64_t e = 0;
    for (; e + 6 <= entries; e += 6) weight_tile<4, 6>(d, blocks, nblocks, x, dy, g, k, e, out);
    for (; e < entries; ++e) weight_tile<4, 1>(d, blocks, nblocks, x, dy, g, k, e, out);
  }
  for (; k < k_hi; ++k) {
    int64_t e = 0;
    for (; e + 6 <= entries; e += 6) weight_tile<1, 6>(d, blocks, nblocks, x, dy, g, k, e, out);
    for (; e < entries; ++e) weight_tile<1, 1>(d, blocks, nblocks, x, dy, g, k, e, out);
  }
}

}  // namespace

bool direct_conv_applies(const Conv2dParams& p) {
  // Weights past 1 MiB would stream from L3 for every group of blocks: im2col + GEMM blocks better.
  return p.w_size() <= (int64_t(1) << 18) && p.stride_h == 1 && p.stride_w == 1 && p.q() == p.w && p.r * p.s <= kMaxDirectTaps &&
         p.p() * p.q() >= kLanes && p.h * p.w >= kLanes && p.cg() > 0 && p.kg() > 0 && p.n > 0 &&
         p.x_size() < (int64_t(1) << 31) && p.y_size() < (int64_t(1) << 31);
}

void direct_conv_forward(const Conv2dParams& p, const float* x, const float* w, float* y) {
  const Direct d = forward_geometry(p);
  const int64_t slivers = (d.c_out + kLanes - 1) / kLanes;
  Scratch wp(d.groups * slivers * d.c_in * d.taps * kLanes);
  const int64_t CT = d.c_in * d.taps;
  pack_weights(d, wp.data(), [&](int64_t g, int64_t k, int64_t c, int t) { return w[(g * d.c_out + k) * CT + c * d.taps + t]; });
  run_direct(d, x, wp.data(), y);
}

void direct_conv_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const Direct d = backward_data_geometry(p);
  const int64_t slivers = (d.c_out + kLanes - 1) / kLanes;
  Scratch wp(d.groups * slivers * d.c_in * d.taps * kLanes);
  // Destination channel c of dx, source channel k of dy: weight w[g*Kg + k][c][t].
  const int64_t CT = d.c_out * d.taps;
  pack_weights(d, wp.data(), [&](int64_t g, int64_t c, int64_t k, int t) {
    return w[(g * d.c_in + k) * CT + c * d.taps + (d.taps - 1 - t)];
  });
  run_direct(d, dy, wp.data(), dx);
}

void direct_conv_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw) {
  const Direct d = forward_geometry(p);
  const int64_t blocks = d.blocks(), parts = (blocks + kPartBlocks - 1) / kPartBlocks;
  const int64_t row_groups = (d.c_out + kLanes - 1) / kLanes, WS = p.w_size();
  const int64_t group_floats = d.c_out * d.c_in * d.taps;
  Scratch partial(parts * WS);
  // Tasks: (part, group, 16 rows of dw); each writes its own rows of its part's buffer.
  parallel_for(0, parts * d.groups * row_groups, 1, [&](int64_t lo, int64_t hi) {
    Block blk[kPartBlocks];
    int64_t described = -1;
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t part = task / (d.groups * row_groups), g = task / row_groups % d.groups, rg = task % row_groups;
      const int64_t b0 = part * kPartBlocks, nb = std::min(kPartBlocks, blocks - b0);
      if (described != part) {
        for (int64_t b = 0; b < nb; ++b) describe_block(d, b0 + b, blk[b]);
        described = part;
      }
      weight_rows(d, blk, nb, x, dy, g, rg * kLanes, std::min(d.c_out, (rg + 1) * kLanes),
                  partial.data() + part * WS + g * group_floats);
    }
  });
  const float* parts_data = partial.data();
  parallel_for(0, WS, 1 << 12, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      float acc = parts_data[e];
      for (int64_t j = 1; j < parts; ++j) acc += parts_data[j * WS + e];
      dw[e] = acc;
    }
  });
}

}  // namespace graft::cpu::conv2d_detail
