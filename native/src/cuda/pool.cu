// CUDA 2-D pooling (graft/pool.h): x (N,C,H,W), y (N,C,P,Q), indices (N,C,P,Q) int32 flat ih*W+iw.
// Forward: one thread per output, the window scanned in the reference's order (max: first maximum,
// NaN wins; avg: double sum). Backward: one thread per input element gathers from the outputs whose
// window holds it, in increasing (p, q), in double, so it needs no atomics and is deterministic.
#include <cuda_runtime.h>

#include <cmath>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

struct Geometry {
  int64_t planes, h, w, p, q, kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad;
};

Geometry geometry(const Pool2dParams& p) {
  return Geometry{p.n * p.c, p.h,        p.w,        p.p(),    p.q(),    p.kh,  p.kw,
                  p.stride_h, p.stride_w, p.pad_h,  p.pad_w,  p.dil_h, p.dil_w, p.count_include_pad};
}

#define GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void max_forward_kernel(Geometry g, const float* x, float* y, int32_t* indices) {
  GRID_LOOP(o, g.planes * g.p * g.q) {
    const int64_t ow = o % g.q, oh = (o / g.q) % g.p, plane = o / (g.p * g.q);
    const float* in = x + plane * g.h * g.w;
    float best = -INFINITY;
    int64_t best_index = -1;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.ph + i * g.dh;
      if (ih < 0 || ih >= g.h) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t iw = ow * g.sw - g.pw + j * g.dw;
        if (iw < 0 || iw >= g.w) continue;
        const float v = in[ih * g.w + iw];
        if (best_index < 0 || v > best || isnan(v)) best = v, best_index = ih * g.w + iw;
      }
    }
    y[o] = best;
    indices[o] = static_cast<int32_t>(best_index);
  }
}

// Outputs along one axis whose window covers input position `in` at tap t: o = (in + pad - t*dil) / stride.
__device__ __forceinline__ int64_t tap_output(int64_t in, int64_t pad, int64_t tap, int64_t dil, int64_t stride,
                                              int64_t outputs) {
  const int64_t at = in + pad - tap * dil;
  if (at < 0 || at % stride != 0) return -1;
  const int64_t o = at / stride;
  return o < outputs ? o : -1;
}

__global__ void max_backward_kernel(Geometry g, const float* dy, const int32_t* indices, float* dx) {
  GRID_LOOP(e, g.planes * g.h * g.w) {
    const int64_t iw = e % g.w, ih = (e / g.w) % g.h, plane = e / (g.h * g.w);
    const int64_t flat = ih * g.w + iw, base = plane * g.p * g.q;
    double acc = 0.0;
    // Taps in decreasing order visit outputs in increasing (p, q), the reference's order of additions.
    for (int64_t i = g.kh - 1; i >= 0; --i) {
      const int64_t oh = tap_output(ih, g.ph, i, g.dh, g.sh, g.p);
      if (oh < 0) continue;
      for (int64_t j = g.kw - 1; j >= 0; --j) {
        const int64_t ow = tap_output(iw, g.pw, j, g.dw, g.sw, g.q);
        if (ow >= 0 && indices[base + oh * g.q + ow] == flat) acc += dy[base + oh * g.q + ow];
      }
    }
    dx[e] = static_cast<float>(acc);
  }
}

// The avg-pool window of output o along one axis (as src/ref/pool.cc): [lo, hi) and the padded span.
struct AvgWindow {
  int64_t lo, hi, span;
};
__device__ __forceinline__ AvgWindow avg_window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t end = min(start + kernel, size + pad);
  return {max(start, int64_t(0)), min(end, size), end - start};
}
__device__ __forceinline__ double avg_divisor(const Geometry& g, const AvgWindow& a, const AvgWindow& b) {
  return g.count_include_pad ? double(a.span * b.span) : double((a.hi - a.lo) * (b.hi - b.lo));
}

__global__ void avg_forward_kernel(Geometry g, const float* x, float* y) {
  GRID_LOOP(o, g.planes * g.p * g.q) {
    const int64_t ow = o % g.q, oh = (o / g.q) % g.p, plane = o / (g.p * g.q);
    const AvgWindow a = avg_window(oh, g.sh, g.ph, g.kh, g.h), b = avg_window(ow, g.sw, g.pw, g.kw, g.w);
    double sum = 0.0;
    for (int64_t ih = a.lo; ih < a.hi; ++ih)
      for (int64_t iw = b.lo; iw < b.hi; ++iw) sum += x[(plane * g.h + ih) * g.w + iw];
    const double divisor = avg_divisor(g, a, b);
    y[o] = divisor > 0 ? static_cast<float>(sum / divisor) : 0.0f;
  }
}

__global__ void avg_backward_kernel(Geometry g, const float* dy, float* dx) {
  GRID_LOOP(e, g.planes * g.h * g.w) {
    const int64_t iw = e % g.w, ih = (e / g.w) % g.h, plane = e / (g.h * g.w);
    double acc = 0.0;
    for (int64_t i = g.kh - 1; i >= 0; --i) {
      const int64_t oh = tap_output(ih, g.ph, i, 1, g.sh, g.p);
      if (oh < 0) continue;
      const AvgWindow a = avg_window(oh, g.sh, g.ph, g.kh, g.h);
      for (int64_t j = g.kw - 1; j >= 0; --j) {
        const int64_t ow = tap_output(iw, g.pw, j, 1, g.sw, g.q);
        if (ow < 0) continue;
        const AvgWindow b = avg_window(ow, g.sw, g.pw, g.kw, g.w);
        // The clipped window may end before this element (ceil mode's last window): skip it then.
        if (ih >= a.hi || iw >= b.hi) continue;
        const double divisor = avg_divisor(g, a, b);
        if (divisor > 0) acc += dy[(plane * g.p + oh) * g.q + ow] / divisor;
      }
    }
    dx[e] = static_cast<float>(acc);
  }
}

struct Adaptive {
  int64_t planes, h, w, p, q;
};
__device__ __forceinline__ int64_t adaptive_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
__device__ __forceinline__ int64_t adaptive_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

__global__ void adaptive_forward_kernel(Adaptive g, const float* x, float* y) {
  GRID_LOOP(o, g.planes * g.p * g.q) {
    const int64_t ow = o % g.q, oh = (o / g.q) % g.p, plane = o / (g.p * g.q);
    const int64_t h0 = adaptive_start(oh, g.h, g.p), h1 = adaptive_end(oh, g.h, g.p);
    const int64_t w0 = adaptive_start(ow, g.w, g.q), w1 = adaptive_end(ow, g.w, g.q);
    double sum = 0.0;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) sum += x[(plane * g.h + ih) * g.w + iw];
    const int64_t count = (h1 - h0) * (w1 - w0);
    y[o] = count > 0 ? static_cast<float>(sum / count) : 0.0f;
  }
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

__global__ void adaptive_backward_kernel(Adaptive g, const float* dy, float* dx) {
  GRID_LOOP(e, g.planes * g.h * g.w) {
    const int64_t iw = e % g.w, ih = (e / g.w) % g.h, plane = e / (g.h * g.w);
    double acc = 0.0;
    // Windows overlap by at most one element, so only outputs near ih*P/H can hold ih.
    const int64_t p_first = max(int64_t(0), ih * g.p / g.h - 1), p_last = min(g.p - 1, (ih + 1) * g.p / g.h + 1);
    const int64_t q_first = max(int64_t(0), iw * g.q / g.w - 1), q_last = min(g.q - 1, (iw + 1) * g.q / g.w + 1);
    for (int64_t oh = p_first; oh <= p_last; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.h, g.p), h1 = adaptive_end(oh, g.h, g.p);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t ow = q_first; ow <= q_last; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.w, g.q), w1 = adaptive_end(ow, g.w, g.q);
        if (iw < w0 || iw >= w1) continue;
        acc += static_cast<double>(dy[(plane * g.p + oh) * g.q + ow]) / ((h1 - h0) * (w1 - w0));
      }
    }
    dx[e] = static_cast<float>(acc);
  }
}

template <typename Kernel, typename... A>
void launch(const char* op, int device, int64_t n, Kernel kernel, A... args) {
  cudaStream_t stream = stream_for(op, device);
  if (n <= 0) return;
  kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(args...);
  check_launch(op, "pool kernel");
}

}  // namespace

void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices, int device) {
  launch("cudaMaxPool2dForward", device, p.y_size(), max_forward_kernel, geometry(p), x, y, indices);
}
void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx, int device) {
  launch("cudaMaxPool2dBackward", device, p.x_size(), max_backward_kernel, geometry(p), dy, indices, dx);
}
void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int device) {
  launch("cudaAvgPool2dForward", device, p.y_size(), avg_forward_kernel, geometry(p), x, y);
}
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx, int device) {
  launch("cudaAvgPool2dBackward", device, p.x_size(), avg_backward_kernel, geometry(p), dy, dx);
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
  launch(op, device, p.y_size(), adaptive_forward_kernel, Adaptive{p.n * p.c, p.h, p.w, p.p, p.q}, x, y);
}
void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx, int device) {
  launch("cudaAdaptiveAvgPool2dBackward", device, p.x_size(), adaptive_backward_kernel,
         Adaptive{p.n * p.c, p.h, p.w, p.p, p.q}, dy, dx);
}

}  // namespace graft::cuda
