// CUDA 2-D pooling (graft/pool.h): x (N,C,H,W), y (N,C,P,Q), indices (N,C,P,Q) int32 flat ih*W+iw.
// Forward: one thread per output, the window scanned in the reference's order (max: first maximum,
// NaN wins; avg: double sum). Backward: one thread per input element gathers from the outputs whose
// window holds it, in increasing (p, q), in double, so it needs no atomics and is deterministic.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

// Pool2dParams in index type I (int32_t where every index fits, see largest_index), with dividers for
// the per-element arithmetic.
template <typename I>
struct Geometry {
  I planes, h, w, p, q, kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad;
  Divider<I> by_h, by_w, by_p, by_q, by_sh, by_sw;
};

template <typename I>
Geometry<I> geometry(const Pool2dParams& p) {
  const auto by = [](int64_t divisor) { return Divider<I>(std::max<int64_t>(divisor, 1)); };  // 1 for empty dims
  return Geometry<I>{I(p.n * p.c),  I(p.h),      I(p.w),      I(p.p()),       I(p.q()),
                     I(p.kh),       I(p.kw),     I(p.stride_h), I(p.stride_w), I(p.pad_h),
                     I(p.pad_w),    I(p.dil_h),  I(p.dil_w),  p.count_include_pad,
                     by(p.h),       by(p.w),     by(p.p()),   by(p.q()),      by(p.stride_h), by(p.stride_w)};
}

template <typename I>
__global__ void max_forward_kernel(Geometry<I> g, const float* x, float* y, int32_t* indices) {
  for_each_item<I>(int64_t(g.planes) * g.p * g.q, [&](I o) {
    const Coords3<I> at = split3(o, g.by_p, g.by_q);  // (plane, oh, ow)
    const float* in = x + int64_t(at.outer) * g.h * g.w;
    float best = -INFINITY;
    I best_index = -1;
    for (I i = 0; i < g.kh; ++i) {
      const I ih = at.mid * g.sh - g.ph + i * g.dh;
      if (ih < 0 || ih >= g.h) continue;
      for (I j = 0; j < g.kw; ++j) {
        const I iw = at.inner * g.sw - g.pw + j * g.dw;
        if (iw < 0 || iw >= g.w) continue;
        const float v = in[ih * g.w + iw];
        if (best_index < 0 || v > best || isnan(v)) best = v, best_index = ih * g.w + iw;
      }
    }
    y[o] = best;
    indices[o] = static_cast<int32_t>(best_index);
  });
}

// The output along one axis whose window covers input position `in` at tap t: o = (in + pad - t*dil) /
// stride where that divides exactly and o < outputs, else -1.
template <typename I>
__device__ __forceinline__ I tap_output(I in, I pad, I tap, I dil, const Divider<I>& by_stride, I outputs) {
  const I at = in + pad - tap * dil;
  if (at < 0) return -1;
  const QuotientRemainder<I> o = by_stride.divmod(at);
  return o.remainder == 0 && o.quotient < outputs ? o.quotient : -1;
}

template <typename I>
__global__ void max_backward_kernel(Geometry<I> g, const float* dy, const int32_t* indices, float* dx) {
  for_each_item<I>(int64_t(g.planes) * g.h * g.w, [&](I e) {
    const Coords3<I> at = split3(e, g.by_h, g.by_w);  // (plane, ih, iw)
    const I flat = at.mid * g.w + at.inner;
    const int64_t base = int64_t(at.outer) * g.p * g.q;
    double acc = 0.0;
    // Taps in decreasing order visit outputs in increasing (p, q), the reference's order of additions.
    for (I i = g.kh - 1; i >= 0; --i) {
      const I oh = tap_output(at.mid, g.ph, i, g.dh, g.by_sh, g.p);
      if (oh < 0) continue;
      for (I j = g.kw - 1; j >= 0; --j) {
        const I ow = tap_output(at.inner, g.pw, j, g.dw, g.by_sw, g.q);
        if (ow >= 0 && indices[base + oh * g.q + ow] == flat) acc += dy[base + oh * g.q + ow];
      }
    }
    dx[e] = static_cast<float>(acc);
  });
}

// The avg-pool window of output o along one axis (as src/ref/pool.cc): [lo, hi) and the padded span.
template <typename I>
struct AvgWindow {
  I lo, hi, span;
};
template <typename I>
__device__ __forceinline__ AvgWindow<I> avg_window(I o, I stride, I pad, I kernel, I size) {
  const I start = o * stride - pad;
  const I end = min(start + kernel, size + pad);
  return {max(start, I(0)), min(end, size), end - start};
}
template <typename I>
__device__ __forceinline__ double avg_divisor(const Geometry<I>& g, const AvgWindow<I>& a, const AvgWindow<I>& b) {
  return g.count_include_pad ? double(a.span) * double(b.span) : double(a.hi - a.lo) * double(b.hi - b.lo);
}

template <typename I>
__global__ void avg_forward_kernel(Geometry<I> g, const float* x, float* y) {
  for_each_item<I>(int64_t(g.planes) * g.p * g.q, [&](I o) {
    const Coords3<I> at = split3(o, g.by_p, g.by_q);  // (plane, oh, ow)
    const AvgWindow<I> a = avg_window(at.mid, g.sh, g.ph, g.kh, g.h), b = avg_window(at.inner, g.sw, g.pw, g.kw, g.w);
    const float* in = x + int64_t(at.outer) * g.h * g.w;
    double sum = 0.0;
    for (I ih = a.lo; ih < a.hi; ++ih)
      for (I iw = b.lo; iw < b.hi; ++iw) sum += in[ih * g.w + iw];
    const double divisor = avg_divisor(g, a, b);
    y[o] = divisor > 0 ? static_cast<float>(sum / divisor) : 0.0f;
  });
}

template <typename I>
__global__ void avg_backward_kernel(Geometry<I> g, const float* dy, float* dx) {
  for_each_item<I>(int64_t(g.planes) * g.h * g.w, [&](I e) {
    const Coords3<I> at = split3(e, g.by_h, g.by_w);  // (plane, ih, iw)
    const float* grad = dy + int64_t(at.outer) * g.p * g.q;
    double acc = 0.0;
    for (I i = g.kh - 1; i >= 0; --i) {
      const I oh = tap_output(at.mid, g.ph, i, I(1), g.by_sh, g.p);
      if (oh < 0) continue;
      const AvgWindow<I> a = avg_window(oh, g.sh, g.ph, g.kh, g.h);
      for (I j = g.kw - 1; j >= 0; --j) {
        const I ow = tap_output(at.inner, g.pw, j, I(1), g.by_sw, g.q);
        if (ow < 0) continue;
        const AvgWindow<I> b = avg_window(ow, g.sw, g.pw, g.kw, g.w);
        // The clipped window may end before this element (ceil mode's last window): skip it then.
        if (at.mid >= a.hi || at.inner >= b.hi) continue;
        const double divisor = avg_divisor(g, a, b);
        if (divisor > 0) acc += grad[oh * g.q + ow] / divisor;
      }
    }
    dx[e] = static_cast<float>(acc);
  });
}

// Adaptive pooling: output o of `out` along an axis of `in` averages [floor(o*in/out), ceil((o+1)*in/out)).
template <typename I>
struct Adaptive {
  I planes, h, w, p, q;
  Divider<I> by_h, by_w, by_p, by_q;
};

template <typename I>
Adaptive<I> adaptive(const AdaptivePool2dParams& p) {
  const auto by = [](int64_t divisor) { return Divider<I>(std::max<int64_t>(divisor, 1)); };
  return Adaptive<I>{I(p.n * p.c), I(p.h), I(p.w), I(p.p), I(p.q), by(p.h), by(p.w), by(p.p), by(p.q)};
}

template <typename I>
__device__ __forceinline__ I adaptive_start(I o, I in, const Divider<I>& by_out) { return by_out.div(o * in); }
template <typename I>
__device__ __forceinline__ I adaptive_end(I o, I in, I out, const Divider<I>& by_out) {
  return by_out.div((o + 1) * in + out - 1);
}

template <typename I>
__global__ void adaptive_forward_kernel(Adaptive<I> g, const float* x, float* y) {
  for_each_item<I>(int64_t(g.planes) * g.p * g.q, [&](I o) {
    const Coords3<I> at = split3(o, g.by_p, g.by_q);  // (plane, oh, ow)
    const I h0 = adaptive_start(at.mid, g.h, g.by_p), h1 = adaptive_end(at.mid, g.h, g.p, g.by_p);
    const I w0 = adaptive_start(at.inner, g.w, g.by_q), w1 = adaptive_end(at.inner, g.w, g.q, g.by_q);
    const float* in = x + int64_t(at.outer) * g.h * g.w;
    double sum = 0.0;
    for (I ih = h0; ih < h1; ++ih)
      for (I iw = w0; iw < w1; ++iw) sum += in[ih * g.w + iw];
    const double count = double(h1 - h0) * double(w1 - w0);
    y[o] = count > 0 ? static_cast<float>(sum / count) : 0.0f;
  });
}

// Global average pooling (P = Q = 1, ResNet's head): one block per plane, a fixed-order tree sum.
__global__ void global_average_kernel(int64_t planes, int64_t hw, const float* x, float* y) {
  __shared__ double partial[kThreads];
  for (int64_t plane = blockIdx.x; plane < planes; plane += gridDim.x) {
    double sum = 0.0;
    for (int64_t i = threadIdx.x; i < hw; i += kThreads) sum += x[plane * hw + i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int width = kThreads / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) partial[threadIdx.x] += partial[threadIdx.x + width];
      __syncthreads();
    }
    if (threadIdx.x == 0) y[plane] = hw > 0 ? static_cast<float>(partial[0] / hw) : 0.0f;
    __syncthreads();
  }
}

template <typename I>
__global__ void adaptive_backward_kernel(Adaptive<I> g, const float* dy, float* dx) {
  for_each_item<I>(int64_t(g.planes) * g.h * g.w, [&](I e) {
    const Coords3<I> at = split3(e, g.by_h, g.by_w);  // (plane, ih, iw)
    const I ih = at.mid, iw = at.inner;
    const float* grad = dy + int64_t(at.outer) * g.p * g.q;
    double acc = 0.0;
    // Windows overlap by at most one element, so only outputs near ih*P/H can hold ih.
    const I p_first = max(I(0), g.by_h.div(ih * g.p) - 1), p_last = min(g.p - 1, g.by_h.div((ih + 1) * g.p) + 1);
    const I q_first = max(I(0), g.by_w.div(iw * g.q) - 1), q_last = min(g.q - 1, g.by_w.div((iw + 1) * g.q) + 1);
    for (I oh = p_first; oh <= p_last; ++oh) {
      const I h0 = adaptive_start(oh, g.h, g.by_p), h1 = adaptive_end(oh, g.h, g.p, g.by_p);
      if (ih < h0 || ih >= h1) continue;
      for (I ow = q_first; ow <= q_last; ++ow) {
        const I w0 = adaptive_start(ow, g.w, g.by_q), w1 = adaptive_end(ow, g.w, g.q, g.by_q);
        if (iw < w0 || iw >= w1) continue;
        acc += static_cast<double>(grad[oh * g.q + ow]) / (double(h1 - h0) * double(w1 - w0));
      }
    }
    dx[e] = static_cast<float>(acc);
  });
}

template <typename Kernel, typename... A>
void launch(const char* op, int device, int64_t n, Kernel kernel, A... args) {
  cudaStream_t stream = stream_for(op, device);
  if (n <= 0) return;
  kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(args...);
  check_launch(op, "pool kernel");
}

// Bounds on every index and divisor the kernels form: the tensors' sizes, a window's reach past the input
// (padding, dilated kernel, one more stride for ceil mode), and adaptive pooling's o*H and (o+1)*H + P.
int64_t largest_index(const Pool2dParams& p) {
  return std::max({p.x_size(), p.y_size(), p.h + 2 * p.pad_h + p.kh * p.dil_h + p.stride_h * (p.p() + 1),
                   p.w + 2 * p.pad_w + p.kw * p.dil_w + p.stride_w * (p.q() + 1)});
}
int64_t largest_index(const AdaptivePool2dParams& p) {
  return std::max({p.x_size(), p.y_size(), (p.p + 2) * p.h + p.p, (p.q + 2) * p.w + p.q});
}

}  // namespace

void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices, int device) {
  with_index_type(largest_index(p), [&](auto index) {
    using I = decltype(index);
    launch("cudaMaxPool2dForward", device, p.y_size(), max_forward_kernel<I>, geometry<I>(p), x, y, indices);
  });
}
void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx, int device) {
  with_index_type(largest_index(p), [&](auto index) {
    using I = decltype(index);
    launch("cudaMaxPool2dBackward", device, p.x_size(), max_backward_kernel<I>, geometry<I>(p), dy, indices, dx);
  });
}
void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int device) {
  with_index_type(largest_index(p), [&](auto index) {
    using I = decltype(index);
    launch("cudaAvgPool2dForward", device, p.y_size(), avg_forward_kernel<I>, geometry<I>(p), x, y);
  });
}
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx, int device) {
  with_index_type(largest_index(p), [&](auto index) {
    using I = decltype(index);
    launch("cudaAvgPool2dBackward", device, p.x_size(), avg_backward_kernel<I>, geometry<I>(p), dy, dx);
  });
}
void adaptive_avg_pool2d_forward(const AdaptivePool2dParams& p, const float* x, float* y, int device) {
  const char* op = "cudaAdaptiveAvgPool2dForward";
  if (p.p == 1 && p.q == 1) {
    cudaStream_t stream = stream_for(op, device);
    const int64_t planes = p.n * p.c;
    if (planes == 0) return;
    global_average_kernel<<<static_cast<unsigned>(planes < 65535 * 8 ? planes : 65535 * 8), kThreads, 0, stream>>>(
        planes, p.h * p.w, x, y);
    GRAFT_CUDA_CHECK_LAUNCH(op, global_average_kernel);
    return;
  }
  with_index_type(largest_index(p), [&](auto index) {
    using I = decltype(index);
    launch(op, device, p.y_size(), adaptive_forward_kernel<I>, adaptive<I>(p), x, y);
  });
}
void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx, int device) {
  with_index_type(largest_index(p), [&](auto index) {
    using I = decltype(index);
    launch("cudaAdaptiveAvgPool2dBackward", device, p.x_size(), adaptive_backward_kernel<I>, adaptive<I>(p), dy, dx);
  });
}

}  // namespace graft::cuda
