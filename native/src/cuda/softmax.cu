// CUDA softmax / log-softmax and backward (graft/softmax.h): x, y, dy, dx (O,D,I), with the CPU's
// formulas (src/cpu/softmax.cc): max subtracted first (0 when the max is infinite), sum of exp in
// double, dot products of the backward in double. Lines run in a fixed order (cuda/line.cuh).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

struct MaxIgnoringNaN { __device__ float operator()(float a, float b) const { return fmaxf(a, b); } };

template <typename Co>
__global__ void forward_kernel(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, bool log) {
  for (int64_t line = Co::line(); line < outer * inner; line += Co::line_step()) {
    const LineAt at(line, d, inner);
    float max = -INFINITY;
    for (int64_t k = Co::first(); k < d; k += Co::step()) max = fmaxf(max, x[at[k]]);
    max = Co::all(max, MaxIgnoringNaN{});
    if (isinf(max)) max = 0.0f;  // as the CPU: no inf - inf
    double sum = 0.0;
    for (int64_t k = Co::first(); k < d; k += Co::step()) sum += double(expf(x[at[k]] - max));
    sum = Co::all(sum, AddDoubles{});
    if (log) {
      const float log_sum = static_cast<float>(::log(sum));
      for (int64_t k = Co::first(); k < d; k += Co::step()) y[at[k]] = (x[at[k]] - max) - log_sum;
    } else {
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t k = Co::first(); k < d; k += Co::step()) y[at[k]] = expf(x[at[k]] - max) * inv;
    }
  }
}

// softmax: dx = y * (dy - sum(dy * y));  log-softmax: dx = dy - exp(y) * sum(dy)
template <typename Co>
__global__ void backward_kernel(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx,
                                bool log) {
  for (int64_t line = Co::line(); line < outer * inner; line += Co::line_step()) {
    const LineAt at(line, d, inner);
    double dot = 0.0;
    for (int64_t k = Co::first(); k < d; k += Co::step())
      dot += log ? double(dy[at[k]]) : double(dy[at[k]]) * double(y[at[k]]);
    const float s = static_cast<float>(Co::all(dot, AddDoubles{}));
    for (int64_t k = Co::first(); k < d; k += Co::step())
      dx[at[k]] = log ? dy[at[k]] - expf(y[at[k]]) * s : y[at[k]] * (dy[at[k]] - s);
  }
}

void forward(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, bool log, int device) {
  const char* op = log ? "cudaLogSoftmax" : "cudaSoftmax";
  cudaStream_t stream = stream_for(op, device);
  if (outer == 0 || d == 0 || inner == 0) return;
  const auto run = [&](auto co) {
    using Co = decltype(co);
    forward_kernel<Co><<<Co::blocks(outer * inner), kLineThreads, 0, stream>>>(x, outer, d, inner, y, log);
    GRAFT_CUDA_CHECK_LAUNCH(op, forward_kernel);
  };
  if (inner == 1) with_row_line(d, run);
  else run(ThreadLine{});
}

void backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx, bool log, int device) {
  const char* op = log ? "cudaLogSoftmaxBackward" : "cudaSoftmaxBackward";
  cudaStream_t stream = stream_for(op, device);
  if (outer == 0 || d == 0 || inner == 0) return;
  const auto run = [&](auto co) {
    using Co = decltype(co);
    backward_kernel<Co><<<Co::blocks(outer * inner), kLineThreads, 0, stream>>>(y, dy, outer, d, inner, dx, log);
    GRAFT_CUDA_CHECK_LAUNCH(op, backward_kernel);
  };
  if (inner == 1) with_row_line(d, run);
  else run(ThreadLine{});
}

}  // namespace

void softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, int device) {
  forward(x, outer, d, inner, y, false, device);
}
void log_softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, int device) {
  forward(x, outer, d, inner, y, true, device);
}
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx, int device) {
  backward(y, dy, outer, d, inner, dx, false, device);
}
void log_softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx,
                          int device) {
  backward(y, dy, outer, d, inner, dx, true, device);
}

}  // namespace graft::cuda
