// CPU conv2d: x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q).
// General case: for a chunk of b images and group g, im2col builds col (Cg*R*S, b*P*Q), the images
// side by side, and the t_cat matrices (Kg, b*PQ) hold a tensor's chunk the same way:
//   forward          y_cat   = w_g (Kg, CgRS) * col (CgRS, b*PQ), scattered to y
//   backward_data    col     = w_gᵀ (CgRS, Kg) * dy_cat (Kg, b*PQ), then col2im
//   backward_weight  dw_g   += dy_cat (Kg, b*PQ) * colᵀ (b*PQ, CgRS)
// Threads: when the batch is large and each image's GEMM small (CIFAR-sized layers), tasks of a few
// whole images go to threads, each with its own buffers and a serial GEMM; otherwise chunks of as many
// images as fit a fixed scratch budget run one after another with threads inside im2col/col2im and
// the GEMM. Either way each output element comes from a GEMM of the same depth K (GEMM cuts K by K
// alone, whatever M, N and the threads), so its bits do not depend on the thread count. backward_weight splits the batch into a number of parts fixed by the shape alone,
// sums each part in batch order into its own buffer and adds the parts in order: deterministic too.
// Special cases: kernel taps that only ever read padding are dropped (live_window; ResNet-18's 3x3
// layers on 1x1 maps become 1x1 convs); 1x1 stride-1 unpadded convolutions read x (write dx) directly
// as the GEMM operand;
// depthwise convolutions (C/G == 1, G > 1) run as direct loops (conv2d_depthwise.cc); maps no larger
// than the kernel are one dense GEMM over the batch (conv2d_small_map.cc); on AVX-512 CPUs, stride-1
// same-width layers convolve directly (conv2d_direct_avx512.cc) and 3x3 weight gradients skip im2col
// (conv2d_wgrad_avx512.cc).
#include <cstring>
#include <vector>

#include "cpu/conv2d_internal.h"
#include "graft/gemm.h"

namespace graft::cpu {
using namespace conv2d_detail;

namespace {

constexpr int64_t kColumnBudget = int64_t(1) << 22;  // floats of column matrix per chunk (16 MiB)
constexpr int64_t kTaskColumns = int64_t(1) << 18;   // floats of column matrix per weight-gradient part
constexpr int64_t kImageGemm = int64_t(1) << 24;     // multiply-adds below which one image is one task
constexpr int64_t kMaxParts = 16;                    // weight-gradient parts (fixed, not per thread)
constexpr int64_t kMinPartDepth = 128;               // output pixels per weight-gradient part, at least

bool is_pointwise(const Conv2dParams& p) {
  return p.r == 1 && p.s == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
}
bool is_depthwise(const Conv2dParams& p) { return p.groups > 1 && p.cg() == 1; }
// A 1x1 conv of 1x1 maps: x is an (N, C) matrix and y an (N, K) one, so each pass is one GEMM over
// the whole batch (per-image GEMMs would be matrix-vector products).
bool is_single_pixel(const Conv2dParams& p) { return is_pointwise(p) && p.h == 1 && p.w == 1 && p.groups == 1; }

// Images per chunk: enough to fill `budget` floats of column matrix, at least one.
int64_t chunk_images(const Conv2dParams& p, int64_t budget = kColumnBudget) {
  const int64_t per_image = p.cg() * p.r * p.s * p.p() * p.q();
  return std::max<int64_t>(1, std::min<int64_t>(p.n, budget / std::max<int64_t>(1, per_image)));
}

// Whole images per thread pays when there are images for every thread and each image's GEMM is too
// small to split well (one thread gains too: a task's columns stay in L2, a big chunk's do not);
// the buffers (one per thread) must stay within twice the chunk budget.
bool image_tasks(const Conv2dParams& p) {
  const int64_t threads = num_threads(), columns = p.cg() * p.r * p.s * p.p() * p.q();
  return p.n >= 2 * threads && p.kg() * columns <= kImageGemm && columns * threads <= 2 * kColumnBudget;
}

// Images per task: as many as fit kTaskColumns (small outputs make a wider GEMM), leaving at least two
// tasks per thread. Outputs do not depend on it: each comes from a GEMM of the same depth.
int64_t task_images(const Conv2dParams& p) {
  const int64_t threads = num_threads();
  return std::max<int64_t>(1, std::min(chunk_images(p, kTaskColumns), p.n / (2 * threads)));
}

// Batched GEMM over `batch` images: C_i = op(A) * B_i, A shared by every image.
void gemm_images(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* b, int64_t ldb, int64_t stride_b, float* c, int64_t ldc, int64_t stride_c,
                 int64_t batch) {
  GemmParams g;
  g.trans_a = trans_a;
  g.m = m, g.n = n, g.k = k;
  g.lda = lda, g.ldb = ldb, g.ldc = ldc;
  g.batch = batch;
  g.stride_a = 0, g.stride_b = stride_b, g.stride_c = stride_c;
  gemm(g, a, b, c);
}

void fill(float* data, int64_t count, float value) {
  parallel_for(0, count, 1 << 16, [&](int64_t lo, int64_t hi) { std::fill(data + lo, data + hi, value); });
}

void add_bias(const Conv2dParams& p, const float* bias, float* y) {
  const int64_t PQ = p.p() * p.q();
  parallel_for(0, p.n * p.k, std::max<int64_t>(1, 4096 / PQ), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      const float value = bias[plane % p.k];
      float* row = y + plane * PQ;
      for (int64_t i = 0; i < PQ; ++i) row[i] += value;
    }
  });
}

// The (Kg, PQ) planes of group g of images [n0, n0+b) of t (N,K,P,Q), copied to or from a
// (Kg, b*PQ) matrix whose rows hold the images side by side, so a chunk is one wide GEMM.
void gather_images(const Conv2dParams& p, const float* t, int64_t n0, int64_t b, int64_t g, float* out) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg();
  parallel_for(0, Kg * b, std::max<int64_t>(1, 16384 / PQ), [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t k = task / b, i = task % b;
      std::memcpy(out + (k * b + i) * PQ, t + ((n0 + i) * p.k + g * Kg + k) * PQ, static_cast<size_t>(PQ) * sizeof(float));
    }
  });
}
void scatter_images(const Conv2dParams& p, const float* in, int64_t n0, int64_t b, int64_t g, float* t) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg();
  parallel_for(0, Kg * b, std::max<int64_t>(1, 16384 / PQ), [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t k = task / b, i = task % b;
      std::memcpy(t + ((n0 + i) * p.k + g * Kg + k) * PQ, in + (k * b + i) * PQ, static_cast<size_t>(PQ) * sizeof(float));
    }
  });
}

void gemm_wide(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
               const float* b, int64_t ldb, float* c, int64_t ldc, float beta) {
  GemmParams g;
  g.trans_a = trans_a, g.trans_b = trans_b;
  g.m = m, g.n = n, g.k = k;
  g.lda = lda, g.ldb = ldb, g.ldc = ldc;
  g.beta = beta;
  gemm(g, a, b, c);
}

// dbias[k] = sum over images (in order) and positions, in double.
void bias_gradient(const Conv2dParams& p, const float* dy, float* dbias) {
  const int64_t PQ = p.p() * p.q();
  parallel_for(0, p.k, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      double acc = 0.0;
      for (int64_t n = 0; n < p.n; ++n) {
        const float* row = dy + (n * p.k + k) * PQ;
        float partial = 0.0f;  // one plane in float, planes summed in double
        for (int64_t i = 0; i < PQ; ++i) partial += row[i];
        acc += partial;
      }
      dbias[k] = static_cast<float>(acc);
    }
  });
}

// forward of images [n0, n1), b_max at a time: col (CRS, b*PQ) through one GEMM into buf (Kg, b*PQ),
// scattered to y (a single image's GEMM writes y directly).
void forward_images(const Conv2dParams& p, const float* x, const float* w, float* y, int64_t n0, int64_t n1,
                    int64_t b_max, float* col, float* buf) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s;
  for (int64_t i = n0; i < n1; i += b_max) {
    const int64_t b = std::min(b_max, n1 - i);
    for (int64_t g = 0; g < p.groups; ++g) {
      im2col(p, x, i, b, g, col);
      float* out = b == 1 ? y + (i * p.k + g * Kg) * PQ : buf;
      gemm_wide(false, false, Kg, b * PQ, CRS, w + g * Kg * CRS, CRS, col, b * PQ, out, b * PQ, 0.0f);
      if (b > 1) scatter_images(p, buf, i, b, g, y);
    }
  }
}

// backward_data of images [n0, n1), b_max at a time: dy gathered into buf (Kg, b*PQ), one GEMM into
// col (CRS, b*PQ), then col2im.
void backward_data_images(const Conv2dParams& p, const float* dy, const float* w, float* dx, int64_t n0,
                          int64_t n1, int64_t b_max, float* col, float* buf) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s;
  for (int64_t i = n0; i < n1; i += b_max) {
    const int64_t b = std::min(b_max, n1 - i);
    for (int64_t g = 0; g < p.groups; ++g) {
      const float* dy_g = dy + (i * p.k + g * Kg) * PQ;
      if (b > 1) gather_images(p, dy, i, b, g, buf), dy_g = buf;
      gemm_wide(true, false, CRS, b * PQ, Kg, w + g * Kg * CRS, CRS, dy_g, b * PQ, col, b * PQ, 0.0f);
      col2im(p, col, i, b, g, dx);
    }
  }
}

// dw of images [n0, n1) into out (overwritten): b_max images at a time, their columns side by side
// so the batch is the GEMM's depth; chunks add up in batch order.
void weight_gradient_images(const Conv2dParams& p, const float* x, const float* dy, int64_t n0, int64_t n1,
                            int64_t b_max, float* col, float* dy_cat, float* out) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s;
  for (int64_t i = n0; i < n1; i += b_max) {
    const int64_t b = std::min(b_max, n1 - i);
    for (int64_t g = 0; g < p.groups; ++g) {
      im2col(p, x, i, b, g, col);
      gather_images(p, dy, i, b, g, dy_cat);
      // dw_g (Kg, CRS) (+)= dy_cat (Kg, b*PQ) * col (CRS, b*PQ)ᵀ
      gemm_wide(false, true, Kg, CRS, b * PQ, dy_cat, b * PQ, col, b * PQ, out + g * Kg * CRS, CRS,
                i == n0 ? 0.0f : 1.0f);
    }
  }
}


// Taps [first, first+count) of one kernel axis that read the input for at least one output position;
// the taps outside only ever read padding.
struct LiveTaps {
  int64_t first, count;
};
LiveTaps live_taps(int64_t taps, int64_t out, int64_t in, int64_t stride, int64_t pad, int64_t dil) {
  int64_t first = taps, last = -1;
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t o = 0; o < out; ++o) {
      const int64_t i = o * stride - pad + t * dil;
      if (i >= 0 && i < in) {
        first = std::min(first, t), last = std::max(last, t);
        break;
      }
    }
  return {first, last - first + 1};
}

// A kernel whose border taps only read padding (a 3x3 pad-1 conv on a 1x1 map uses its centre alone)
// runs as the conv of its live window: t has the window's R, S and the padding shifted so every output
// reads the same inputs with the same weights. The dropped products were all x 0. A 1x1 window takes
// the pointwise path. Returns false when every tap is live (or none is).
bool live_window(const Conv2dParams& p, Conv2dParams& t, int64_t& r0, int64_t& s0) {
  const LiveTaps rows = live_taps(p.r, p.p(), p.h, p.stride_h, p.pad_h, p.dil_h);
  const LiveTaps cols = live_taps(p.s, p.q(), p.w, p.stride_w, p.pad_w, p.dil_w);
  if (rows.count <= 0 || cols.count <= 0 || (rows.count == p.r && cols.count == p.s)) return false;
  t = p;
  t.r = rows.count, t.s = cols.count;
  t.pad_h = p.pad_h - rows.first * p.dil_h, t.pad_w = p.pad_w - cols.first * p.dil_w;
  r0 = rows.first, s0 = cols.first;
  return t.pad_h >= 0 && t.pad_w >= 0 && t.p() == p.p() && t.q() == p.q();
}

// Copies the window [r0, r0+t.r) x [s0, s0+t.s) of each (K, Cg) kernel between w (K,Cg,R,S) and
// w_t (K,Cg,t.r,t.s): to_window picks it out of w; otherwise w is overwritten with w_t's window and
// zeros elsewhere. Threads take whole kernels: w is large (9 MiB for 512x512x3x3) and read once.
void copy_window(const Conv2dParams& p, const Conv2dParams& t, int64_t r0, int64_t s0, float* w, float* w_t,
                 bool to_window) {
  const int64_t RS = p.r * p.s, window = t.r * t.s;
  parallel_for(0, p.k * p.cg(), 4096, [&](int64_t lo, int64_t hi) {
    if (window == 1) {  // one tap (3x3 layers on 1x1 maps): a strided copy the compiler keeps tight
      const int64_t tap = r0 * p.s + s0;
      for (int64_t kc = lo; kc < hi; ++kc) {
        if (to_window) {
          w_t[kc] = w[kc * RS + tap];
        } else {
          std::fill(w + kc * RS, w + (kc + 1) * RS, 0.0f);
          w[kc * RS + tap] = w_t[kc];
        }
      }
      return;
    }
    for (int64_t kc = lo; kc < hi; ++kc) {
      float* full = w + kc * RS;
      float* part = w_t + kc * window;
      if (!to_window) std::fill(full, full + RS, 0.0f);
      for (int64_t r = 0; r < t.r; ++r)
        for (int64_t s = 0; s < t.s; ++s) {
          float& a = full[(r0 + r) * p.s + s0 + s];
          float& b = part[r * t.s + s];
          if (to_window) b = a;
          else a = b;
        }
    }
  });
}
}  // namespace

void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const int64_t PQ = p.p() * p.q(), Cg = p.cg(), Kg = p.kg(), CRS = Cg * p.r * p.s, HW = p.h * p.w;
  if (p.n == 0 || p.k == 0 || PQ == 0) return;
  if (is_depthwise(p)) return depthwise_forward(p, x, w, bias, y);
  Conv2dParams t;
  int64_t r0 = 0, s0 = 0;
  if (CRS > 0 && live_window(p, t, r0, s0)) {
    Scratch w_t(t.w_size());
    copy_window(p, t, r0, s0, const_cast<float*>(w), w_t.data(), true);
    return conv2d_forward(t, x, w_t.data(), bias, y);
  }
  if (CRS == 0) {
    fill(y, p.y_size(), 0.0f);  // no input channels: the sum is empty
  } else if (is_single_pixel(p)) {
    gemm_wide(false, true, p.n, p.k, p.c, x, p.c, w, p.c, y, p.k, 0.0f);  // y (N,K) = x (N,C) wᵀ
  } else if (small_map_applies(p)) {
    small_map_forward(p, x, w, y);
  } else if (is_pointwise(p)) {
    for (int64_t g = 0; g < p.groups; ++g)
      gemm_images(false, Kg, PQ, Cg, w + g * Kg * Cg, Cg, x + g * Cg * HW, HW, p.c * HW, y + g * Kg * PQ, PQ,
                  p.k * PQ, p.n);
  } else if (use_avx512() && direct_conv_applies(p) && Kg >= 8) {
    direct_conv_forward(p, x, w, y);
  } else if (image_tasks(p)) {
    const int64_t b = task_images(p);
    parallel_for(0, (p.n + b - 1) / b, 1, [&](int64_t lo, int64_t hi) {
      Scratch col(CRS * b * PQ), buf(Kg * b * PQ);
      forward_images(p, x, w, y, lo * b, std::min(p.n, hi * b), b, col.data(), buf.data());
    });
  } else {
    const int64_t b_max = chunk_images(p);
    Scratch col(CRS * b_max * PQ), buf(Kg * b_max * PQ);
    forward_images(p, x, w, y, 0, p.n, b_max, col.data(), buf.data());
  }
  if (bias) add_bias(p, bias, y);
}

void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t PQ = p.p() * p.q(), Cg = p.cg(), Kg = p.kg(), CRS = Cg * p.r * p.s, HW = p.h * p.w;
  if (p.x_size() == 0) return;
  if (Kg == 0 || PQ == 0) return fill(dx, p.x_size(), 0.0f);
  if (is_depthwise(p)) return depthwise_backward_data(p, dy, w, dx);
  Conv2dParams t;
  int64_t r0 = 0, s0 = 0;
  if (CRS > 0 && live_window(p, t, r0, s0)) {
    Scratch w_t(t.w_size());
    copy_window(p, t, r0, s0, const_cast<float*>(w), w_t.data(), true);
    return conv2d_backward_data(t, dy, w_t.data(), dx);  // dx comes whole from col2im of the window
  }
  if (is_single_pixel(p)) {
    gemm_wide(false, false, p.n, p.c, p.k, dy, p.k, w, p.c, dx, p.c, 0.0f);  // dx (N,C) = dy (N,K) w (K,C)
  } else if (small_map_applies(p)) {
    small_map_backward_data(p, dy, w, dx);
  } else if (is_pointwise(p)) {
    for (int64_t g = 0; g < p.groups; ++g)
      gemm_images(true, Cg, HW, Kg, w + g * Kg * Cg, Cg, dy + g * Kg * PQ, PQ, p.k * PQ, dx + g * Cg * HW, HW,
                  p.c * HW, p.n);
  } else if (use_avx512() && direct_conv_applies(p) && Cg >= 8) {
    direct_conv_backward_data(p, dy, w, dx);
  } else if (image_tasks(p)) {
    const int64_t b = task_images(p);
    parallel_for(0, (p.n + b - 1) / b, 1, [&](int64_t lo, int64_t hi) {
      Scratch col(CRS * b * PQ), buf(Kg * b * PQ);
      backward_data_images(p, dy, w, dx, lo * b, std::min(p.n, hi * b), b, col.data(), buf.data());
    });
  } else {
    const int64_t b_max = chunk_images(p);
    Scratch col(CRS * b_max * PQ), buf(Kg * b_max * PQ);
    backward_data_images(p, dy, w, dx, 0, p.n, b_max, col.data(), buf.data());
  }
}

void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias) {
  const int64_t PQ = p.p() * p.q(), Kg = p.kg(), CRS = p.cg() * p.r * p.s, WS = p.w_size();
  if (dbias) {
    if (p.n == 0 || PQ == 0) fill(dbias, p.k, 0.0f);
    else bias_gradient(p, dy, dbias);
  }
  if (WS == 0) return;
  if (p.n == 0 || PQ == 0) return fill(dw, WS, 0.0f);
  if (is_depthwise(p)) return depthwise_backward_weight(p, x, dy, dw);
  Conv2dParams t;
  int64_t r0 = 0, s0 = 0;
  if (live_window(p, t, r0, s0)) {
    Scratch dw_t(t.w_size());
    conv2d_backward_weight(t, x, dy, dw_t.data(), nullptr);
    return copy_window(p, t, r0, s0, dw, dw_t.data(), false);  // taps that only read padding get 0
  }
  // dw (K,C) = dyᵀ (K,N) x (N,C): one GEMM of depth N, whose sum order does not depend on the threads.
  if (is_single_pixel(p)) return gemm_wide(true, false, p.k, p.c, p.n, dy, p.k, x, p.c, dw, p.c, 0.0f);
  if (small_map_applies(p)) return small_map_backward_weight(p, x, dy, dw);
  if (use_avx512() && fast_wgrad_applies(p)) return fast_wgrad(p, x, dy, dw);
  if (use_avx512() && direct_conv_applies(p) && Kg <= 16) return direct_conv_backward_weight(p, x, dy, dw);
  // Parts: fixed by the shape, so the sum's order never depends on the thread count.
  // Each part's GEMM is as deep as its output pixels: parts of a few pixels (64 images of 1x1 outputs
  // in 16 parts: depth 4) spend their time writing partial sums, so a part gets kMinPartDepth at least.
  const int64_t parts = std::min({p.n, kMaxParts, std::max<int64_t>(1, kColumnBudget / WS),
                                  std::max<int64_t>(1, p.n * PQ / kMinPartDepth)});
  if (parts == 1) {
    const int64_t b_max = chunk_images(p);
    Scratch col(CRS * b_max * PQ), dy_cat(Kg * b_max * PQ);
    return weight_gradient_images(p, x, dy, 0, p.n, b_max, col.data(), dy_cat.data(), dw);
  }
  const int64_t b_max = std::min(chunk_images(p, kTaskColumns), (p.n + parts - 1) / parts);
  Scratch partial(parts * WS);
  parallel_for(0, parts, 1, [&](int64_t lo, int64_t hi) {
    Scratch col(CRS * b_max * PQ), dy_cat(Kg * b_max * PQ);
    for (int64_t j = lo; j < hi; ++j)
      weight_gradient_images(p, x, dy, j * p.n / parts, (j + 1) * p.n / parts, b_max, col.data(), dy_cat.data(),
                             partial.data() + j * WS);
  });
  const float* parts_data = partial.data();
  parallel_for(0, WS, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      float acc = parts_data[e];
      for (int64_t j = 1; j < parts; ++j) acc += parts_data[j * WS + e];
      dw[e] = acc;
    }
  });
}

}  // namespace graft::cpu
