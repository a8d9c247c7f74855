// CUDA batch norm (graft/norm.h): x, y, dy, dx (N,C,HW); gamma, beta, running and saved stats (C).
// A block per channel reduces its N*HW values in double in a fixed order (cuda/line.cuh's tree), and
// its thread 0 turns the sums into per-channel float coefficients, as the CPU does (src/cpu/batch_norm.cc);
// an elementwise kernel then applies them with the CPU's float operations (no contracted multiply-adds).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

struct Add { __device__ double operator()(double a, double b) const { return a + b; } };

// The m-th of the channel's N*HW values.
__device__ __forceinline__ int64_t channel_index(int64_t m, int64_t c, int64_t channels, int64_t hw) {
  return ((m / hw) * channels + c) * hw + m % hw;
}

// Per channel: mean, biased variance, saved stats, running stats, and scale = invstd*gamma into coef[c].
__global__ void train_stats_kernel(BatchNormTrainArgs a, float* coef) {
  const int64_t m = a.n * a.hw;
  for (int64_t c = blockIdx.x; c < a.c; c += gridDim.x) {
    double sum = 0.0;
    for (int64_t k = threadIdx.x; k < m; k += kLineThreads) sum += a.x[channel_index(k, c, a.c, a.hw)];
    const double mean = m > 0 ? BlockLine::all(sum, Add{}) / double(m) : 0.0;
    double m2 = 0.0;
    for (int64_t k = threadIdx.x; k < m; k += kLineThreads) {
      const double d = a.x[channel_index(k, c, a.c, a.hw)] - mean;
      m2 += d * d;
    }
    m2 = BlockLine::all(m2, Add{});
    if (threadIdx.x != 0) continue;
    const double invstd = 1.0 / sqrt((m > 0 ? m2 / double(m) : 0.0) + a.eps);
    a.save_mean[c] = static_cast<float>(mean);
    a.save_invstd[c] = static_cast<float>(invstd);
    coef[c] = static_cast<float>(invstd * (a.gamma ? a.gamma[c] : 1.0));
    if (m <= 1) continue;
    if (a.running_mean) a.running_mean[c] = static_cast<float>((1.0 - a.momentum) * a.running_mean[c] + a.momentum * mean);
    if (a.running_var)
      a.running_var[c] = static_cast<float>((1.0 - a.momentum) * a.running_var[c] + a.momentum * m2 / double(m - 1));
  }
}

__global__ void eval_scale_kernel(BatchNormEvalArgs a, float* coef) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < a.c) coef[c] = static_cast<float>(1.0 / sqrt(double(a.running_var[c]) + a.eps) * (a.gamma ? a.gamma[c] : 1.0));
}

// y = (x - mean[c]) * scale[c] + shift[c], in float.
__global__ void normalize_kernel(const float* x, int64_t total, int64_t channels, int64_t hw, const float* mean,
                                 const float* scale, const float* beta, float* y) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / hw) % channels;
    y[i] = __fadd_rn(__fmul_rn(__fsub_rn(x[i], mean[c]), scale[c]), beta ? beta[c] : 0.0f);
  }
}

// Per channel sum(dy) and sum(dy*(x-mean)) (when x is given); thread 0 hands both to finish(c, g, s).
template <typename Finish>
__device__ void channel_grad_sums(const float* dy, const float* x, const float* mean, int64_t n, int64_t channels,
                                  int64_t hw, Finish finish) {
  const int64_t m = n * hw;
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double g = 0.0, s = 0.0;
    for (int64_t k = threadIdx.x; k < m; k += kLineThreads) {
      const int64_t i = channel_index(k, c, channels, hw);
      g += dy[i];
      if (x) s += double(dy[i]) * (x[i] - mean[c]);
    }
    g = BlockLine::all(g, Add{});
    s = BlockLine::all(s, Add{});
    if (threadIdx.x == 0) finish(c, g, s);
  }
}

// dx = A*dy + B*(x - mean) + C0 with A = g*invstd, B = -g*invstd^2*dgamma/M, C0 = -g*invstd*dbeta/M.
__global__ void backward_sums_kernel(BatchNormBackwardArgs a, float* coef) {
  channel_grad_sums(a.dy, a.x, a.save_mean, a.n, a.c, a.hw, [&](int64_t c, double sum_dy, double sum_dy_xc) {
    const double invstd = a.save_invstd[c], g = a.gamma ? a.gamma[c] : 1.0;
    const double dgamma = sum_dy_xc * invstd;
    if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy);
    if (a.dgamma) a.dgamma[c] = static_cast<float>(dgamma);
    const double md = static_cast<double>(a.n * a.hw > 1 ? a.n * a.hw : 1);
    coef[c] = static_cast<float>(g * invstd);
    coef[a.c + c] = static_cast<float>(-g * invstd * invstd * dgamma / md);
    coef[2 * a.c + c] = static_cast<float>(-g * invstd * sum_dy / md);
  });
}

__global__ void backward_dx_kernel(BatchNormBackwardArgs a, const float* coef) {
  const int64_t total = a.n * a.c * a.hw;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / a.hw) % a.c;
    const float ax = __fmul_rn(coef[c], a.dy[i]), bx = __fmul_rn(coef[a.c + c], __fsub_rn(a.x[i], a.save_mean[c]));
    a.dx[i] = __fadd_rn(__fadd_rn(ax, bx), coef[2 * a.c + c]);
  }
}

__global__ void backward_eval_sums_kernel(BatchNormBackwardEvalArgs a) {
  channel_grad_sums(a.dy, a.dgamma ? a.x : nullptr, a.running_mean, a.n, a.c, a.hw, [&](int64_t c, double g, double s) {
    if (a.dbeta) a.dbeta[c] = static_cast<float>(g);
    if (a.dgamma) a.dgamma[c] = static_cast<float>(s / sqrt(double(a.running_var[c]) + a.eps));
  });
}

__global__ void backward_eval_dx_kernel(BatchNormBackwardEvalArgs a) {
  const int64_t total = a.n * a.c * a.hw;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / a.hw) % a.c;
    const float scale = static_cast<float>((a.gamma ? a.gamma[c] : 1.0) / sqrt(double(a.running_var[c]) + a.eps));
    a.dx[i] = __fmul_rn(a.dy[i], scale);
  }
}

// Per-channel float coefficients live in an allocator block for the launches that use them; freeing
// right after queueing is safe because the block's next user is queued behind them on the same stream.
struct Scratch {
  float* data;
  Scratch(const char* op, int64_t floats, int device)
      : data(static_cast<float*>(device_alloc(op, static_cast<size_t>(floats) * sizeof(float), device))) {}
  ~Scratch() { device_free(data); }
};

constexpr int kThreads = 256;

}  // namespace

void batch_norm_train(const BatchNormTrainArgs& a, int device) {
  const char* op = "cudaBatchNormTrain";
  cudaStream_t stream = stream_for(op, device);
  if (a.c == 0) return;
  Scratch scale(op, a.c, device);
  train_stats_kernel<<<BlockLine::blocks(a.c), kLineThreads, 0, stream>>>(a, scale.data);
  GRAFT_CUDA_CHECK_LAUNCH(op, train_stats_kernel);
  const int64_t total = a.n * a.c * a.hw;
  if (total == 0) return;
  normalize_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(a.x, total, a.c, a.hw, a.save_mean, scale.data,
                                                                       a.beta, a.y);
  GRAFT_CUDA_CHECK_LAUNCH(op, normalize_kernel);
}

void batch_norm_eval(const BatchNormEvalArgs& a, int device) {
  const char* op = "cudaBatchNormEval";
  cudaStream_t stream = stream_for(op, device);
  const int64_t total = a.n * a.c * a.hw;
  if (total == 0) return;
  Scratch scale(op, a.c, device);
  eval_scale_kernel<<<grid_for(a.c, kThreads), kThreads, 0, stream>>>(a, scale.data);
  GRAFT_CUDA_CHECK_LAUNCH(op, eval_scale_kernel);
  normalize_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(a.x, total, a.c, a.hw, a.running_mean,
                                                                       scale.data, a.beta, a.y);
  GRAFT_CUDA_CHECK_LAUNCH(op, normalize_kernel);
}

void batch_norm_backward(const BatchNormBackwardArgs& a, int device) {
  const char* op = "cudaBatchNormBackward";
  cudaStream_t stream = stream_for(op, device);
  if (a.c == 0) return;
  Scratch coef(op, 3 * a.c, device);
  backward_sums_kernel<<<BlockLine::blocks(a.c), kLineThreads, 0, stream>>>(a, coef.data);
  GRAFT_CUDA_CHECK_LAUNCH(op, backward_sums_kernel);
  const int64_t total = a.n * a.c * a.hw;
  if (!a.dx || total == 0) return;
  backward_dx_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(a, coef.data);
  GRAFT_CUDA_CHECK_LAUNCH(op, backward_dx_kernel);
}

void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a, int device) {
  const char* op = "cudaBatchNormBackwardEval";
  cudaStream_t stream = stream_for(op, device);
  if (a.c == 0) return;
  if (a.dgamma || a.dbeta) {
    backward_eval_sums_kernel<<<BlockLine::blocks(a.c), kLineThreads, 0, stream>>>(a);
    GRAFT_CUDA_CHECK_LAUNCH(op, backward_eval_sums_kernel);
  }
  const int64_t total = a.n * a.c * a.hw;
  if (!a.dx || total == 0) return;
  backward_eval_dx_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(a);
  GRAFT_CUDA_CHECK_LAUNCH(op, backward_eval_dx_kernel);
}

}  // namespace graft::cuda
