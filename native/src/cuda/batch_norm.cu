// CUDA batch norm (graft/norm.h): x, y, dy, dx (N,C,HW); gamma, beta, running and saved stats (C).
// Each channel's M = N*HW values are split into ranges, one block per (channel, range), so a layer with
// few channels and large planes still fills the GPU (ResNet's first batch norm at batch 128: 64 channels
// of 1.6M values). A block reduces its range in double with a fixed tree (cuda/line.cuh): for the
// statistics, its count, mean and the sum of squared deviations from that mean (two passes over the range);
// for the gradients, sum(dy) and sum(dy*(x-mean)). One thread per channel then combines the ranges in
// order (Chan's formula for the statistics) and turns them into per-channel float coefficients, as the
// CPU does (src/cpu/batch_norm.cc); an elementwise kernel applies them with the CPU's float operations
// (no contracted multiply-adds). The split depends on the shape and the GPU's SM count only, so results
// repeat bit for bit on one GPU model.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "cuda/map_contiguous.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

// How each channel's M values are split: range s covers [s*chunk, min((s+1)*chunk, M)).
struct ChannelSplit {
  int64_t ranges, chunk;
};

// Enough blocks for about kBlocksPerSm per SM, each range at least kMinRange values (shorter ones would
// spend more on the block's tree than on reading).
constexpr int64_t kBlocksPerSm = 4, kMinRange = 4096;

ChannelSplit channel_split(const char* op, int device, int64_t channels, int64_t m) {
  int sms = 0;
  GRAFT_CUDA_CHECK(op, cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int64_t target = kBlocksPerSm * sms;
  const int64_t wanted = std::min((target + channels - 1) / channels, m / kMinRange);
  if (wanted <= 1) return {1, m};
  const int64_t chunk = (m + wanted - 1) / wanted;
  return {(m + chunk - 1) / chunk, chunk};  // (ranges - 1) * chunk < m: no range is empty
}

// partial[3*(c*ranges + s)] = count, mean and sum of squared deviations of range s of channel c.
__global__ void range_moments_kernel(const float* x, int64_t n, int64_t channels, int64_t hw, ChannelSplit split,
                                     double* partial) {
  const int64_t m = n * hw, s = blockIdx.y;
  const int64_t begin = s * split.chunk, end = min(m, begin + split.chunk);
  const double count = static_cast<double>(end > begin ? end - begin : 0);
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double sum = 0.0;
    for_channel_range(c, channels, hw, begin, end, [&](int64_t i) { sum += x[i]; });
    const double mean = count > 0 ? BlockLine::all(sum, AddDoubles{}) / count : 0.0;
    double m2 = 0.0;
    for_channel_range(c, channels, hw, begin, end, [&](int64_t i) {
      const double d = x[i] - mean;
      m2 += d * d;
    });
    m2 = BlockLine::all(m2, AddDoubles{});
    if (threadIdx.x != 0) continue;
    double* out = partial + 3 * (c * split.ranges + s);
    out[0] = count;
    out[1] = mean;
    out[2] = m2;
  }
}

// Per channel: the ranges' moments combined in order (Chan et al.), then mean, biased variance, saved
// stats, running stats, and scale = invstd*gamma into coef[c].
__global__ void train_stats_kernel(BatchNormTrainArgs a, int64_t ranges, const double* partial, float* coef) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= a.c) return;
  double count = 0.0, mean = 0.0, m2 = 0.0;
  for (int64_t s = 0; s < ranges; ++s) {
    const double* r = partial + 3 * (c * ranges + s);
    if (r[0] == 0.0) continue;
    const double total = count + r[0], delta = r[1] - mean;
    mean += delta * (r[0] / total);
    m2 += r[2] + delta * delta * (count * r[0] / total);
    count = total;
  }
  const int64_t m = a.n * a.hw;
  const double invstd = 1.0 / sqrt((m > 0 ? m2 / double(m) : 0.0) + a.eps);
  a.save_mean[c] = static_cast<float>(mean);
  a.save_invstd[c] = static_cast<float>(invstd);
  coef[c] = static_cast<float>(invstd * (a.gamma ? a.gamma[c] : 1.0));
  if (m <= 1) return;
  if (a.running_mean) a.running_mean[c] = static_cast<float>((1.0 - a.momentum) * a.running_mean[c] + a.momentum * mean);
  if (a.running_var)
    a.running_var[c] = static_cast<float>((1.0 - a.momentum) * a.running_var[c] + a.momentum * m2 / double(m - 1));
}

__global__ void eval_scale_kernel(BatchNormEvalArgs a, float* coef) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < a.c) coef[c] = static_cast<float>(1.0 / sqrt(double(a.running_var[c]) + a.eps) * (a.gamma ? a.gamma[c] : 1.0));
}

// Elementwise work over an (N, C, HW) tensor: op.out[i] = op(values of op.in at i, c) for element i of
// channel c. Planes of at least a block's worth of values give each block one plane (blockIdx.y) and a
// share of its offsets (blockIdx.x), so the channel comes from the block and a plane is a packed array
// (four values per load where it starts 16-byte aligned); shorter planes run as a flat grid-stride loop
// that divides (by multiply-high in 32-bit indices, see divide.cuh), four values a thread where the planes
// are whole float4s (flat_quad_elementwise_kernel).
template <typename Op>
__global__ void plane_elementwise_kernel(Op op, int64_t planes, int64_t channels, int64_t hw) {
  constexpr int K = Op::kInputs;
  for (int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const int64_t c = plane % channels, first = plane * hw;
    float* out = op.out + first;
    const float* in[K];
#pragma unroll
    for (int k = 0; k < K; ++k) in[k] = op.in[k] + first;
    map_contiguous(hw, in, out, [&](const float (&v)[K]) { return op(v, c); });
  }
}

template <typename Op, typename I>
__global__ void flat_elementwise_kernel(Op op, int64_t total, Divider<I> by_channels, Divider<I> by_hw) {
  constexpr int K = Op::kInputs;
  for_each_item<I>(total, [&](I i) {
    float v[K];
#pragma unroll
    for (int k = 0; k < K; ++k) v[k] = op.in[k][i];
    op.out[i] = op(v, split3(i, by_channels, by_hw).mid);  // (n, c, offset)
  });
}

// Planes shorter than a block but a whole number of float4s long (ResNet's 14x14): each thread takes four
// values of one plane through one 16-byte load per input and one store, and splits its channel off once
// for the four. Every pointer must be 16-byte aligned. by_hw divides by the plane's length in float4s.
template <typename Op, typename I>
__global__ void flat_quad_elementwise_kernel(Op op, int64_t quads, Divider<I> by_channels, Divider<I> by_hw) {
  constexpr int K = Op::kInputs;
  for_each_item<I>(quads, [&](I q) {
    const I c = split3(q, by_channels, by_hw).mid;  // (n, c, offset / 4)
    map_quad(op.in, op.out, q, [&](const float (&v)[K]) { return op(v, c); });
  });
}

// y = (x - mean[c]) * scale[c] + shift[c], in float. in = {x}, out = y.
struct Normalize {
  static constexpr int kInputs = 1;
  const float* in[kInputs];
  float* out;
  const float *mean, *scale, *beta;
  __device__ float operator()(const float (&v)[kInputs], int64_t c) const {
    return __fadd_rn(__fmul_rn(__fsub_rn(v[0], mean[c]), scale[c]), beta ? beta[c] : 0.0f);
  }
};

// partial[2*(c*ranges + s)] = sum(dy) and sum(dy*(x - mean[c])) (0 when x is null) over range s of channel c.
__global__ void range_grad_sums_kernel(const float* dy, const float* x, const float* mean, int64_t n, int64_t channels,
                                       int64_t hw, ChannelSplit split, double* partial) {
  const int64_t m = n * hw, s = blockIdx.y;
  const int64_t begin = s * split.chunk, end = min(m, begin + split.chunk);
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    const float mean_c = x ? mean[c] : 0.0f;
    double g = 0.0, xs = 0.0;
    for_channel_range(c, channels, hw, begin, end, [&](int64_t i) {
      g += dy[i];
      if (x) xs += double(dy[i]) * (x[i] - mean_c);
    });
    g = BlockLine::all(g, AddDoubles{});
    xs = BlockLine::all(xs, AddDoubles{});
    if (threadIdx.x != 0) continue;
    partial[2 * (c * split.ranges + s)] = g;
    partial[2 * (c * split.ranges + s) + 1] = xs;
  }
}

// Channel c's sums over all ranges, added in range order.
__device__ void channel_grad_sums(const double* partial, int64_t c, int64_t ranges, double& sum_dy, double& sum_dy_xc) {
  sum_dy = 0.0;
  sum_dy_xc = 0.0;
  for (int64_t s = 0; s < ranges; ++s) {
    sum_dy += partial[2 * (c * ranges + s)];
    sum_dy_xc += partial[2 * (c * ranges + s) + 1];
  }
}

// dx = A*dy + B*(x - mean) + C0 with A = g*invstd, B = -g*invstd^2*dgamma/M, C0 = -g*invstd*dbeta/M.
__global__ void backward_coef_kernel(BatchNormBackwardArgs a, int64_t ranges, const double* partial, float* coef) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= a.c) return;
  double sum_dy, sum_dy_xc;
  channel_grad_sums(partial, c, ranges, sum_dy, sum_dy_xc);
  const double invstd = a.save_invstd[c], g = a.gamma ? a.gamma[c] : 1.0;
  const double dgamma = sum_dy_xc * invstd;
  if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy);
  if (a.dgamma) a.dgamma[c] = static_cast<float>(dgamma);
  const double md = static_cast<double>(a.n * a.hw > 1 ? a.n * a.hw : 1);
  coef[c] = static_cast<float>(g * invstd);
  coef[a.c + c] = static_cast<float>(-g * invstd * invstd * dgamma / md);
  coef[2 * a.c + c] = static_cast<float>(-g * invstd * sum_dy / md);
}

// dx = A[c]*dy + B[c]*(x - mean[c]) + C0[c] with coef = (A, B, C0), in float. in = {dy, x}, out = dx.
struct BackwardDx {
  static constexpr int kInputs = 2;
  const float* in[kInputs];
  float* out;
  const float *mean, *coef;
  int64_t channels;
  __device__ float operator()(const float (&v)[kInputs], int64_t c) const {
    const float ax = __fmul_rn(coef[c], v[0]), bx = __fmul_rn(coef[channels + c], __fsub_rn(v[1], mean[c]));
    return __fadd_rn(__fadd_rn(ax, bx), coef[2 * channels + c]);
  }
};

__global__ void backward_eval_params_kernel(BatchNormBackwardEvalArgs a, int64_t ranges, const double* partial) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= a.c) return;
  double sum_dy, sum_dy_xc;
  channel_grad_sums(partial, c, ranges, sum_dy, sum_dy_xc);
  if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy);
  if (a.dgamma) a.dgamma[c] = static_cast<float>(sum_dy_xc / sqrt(double(a.running_var[c]) + a.eps));
}

// scale[c] = gamma[c] / sqrt(running_var[c] + eps) in double, rounded to float once per channel.
__global__ void backward_eval_scale_kernel(BatchNormBackwardEvalArgs a, float* scale) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < a.c) scale[c] = static_cast<float>((a.gamma ? a.gamma[c] : 1.0) / sqrt(double(a.running_var[c]) + a.eps));
}

// dx = dy * scale[c]. in = {dy}, out = dx.
struct BackwardEvalDx {
  static constexpr int kInputs = 1;
  const float* in[kInputs];
  float* out;
  const float* scale;
  __device__ float operator()(const float (&v)[kInputs], int64_t c) const { return __fmul_rn(v[0], scale[c]); }
};

constexpr int kThreads = 256;

dim3 range_grid(int64_t channels, const ChannelSplit& split) {
  return dim3(BlockLine::blocks(channels), static_cast<unsigned int>(split.ranges));
}

template <typename Op>
void launch_channel_elementwise(const char* op_name, const Op& op, int64_t n, int64_t channels, int64_t hw,
                                cudaStream_t stream) {
  const int64_t planes = n * channels;
  if (planes == 0 || hw == 0) return;
  if (hw >= kThreads) {
    const int64_t quads = (hw + 3) / 4;  // a thread takes four values where the plane is aligned
    const dim3 grid(static_cast<unsigned int>(std::min<int64_t>((quads + kThreads - 1) / kThreads, 1024)),
                    static_cast<unsigned int>(std::min<int64_t>(planes, 65535)));
    plane_elementwise_kernel<Op><<<grid, kThreads, 0, stream>>>(op, planes, channels, hw);
    GRAFT_CUDA_CHECK_LAUNCH(op_name, plane_elementwise_kernel);
    return;
  }
  bool aligned = reinterpret_cast<uintptr_t>(op.out) % 16 == 0;
  for (const float* in : op.in) aligned = aligned && reinterpret_cast<uintptr_t>(in) % 16 == 0;
  with_index_type(planes * hw, [&](auto index) {
    using I = decltype(index);
    if (aligned && hw % 4 == 0) {
      flat_quad_elementwise_kernel<Op, I><<<grid_for(planes * hw / 4, kThreads), kThreads, 0, stream>>>(
          op, planes * hw / 4, Divider<I>(channels), Divider<I>(hw / 4));
      GRAFT_CUDA_CHECK_LAUNCH(op_name, flat_quad_elementwise_kernel);
      return;
    }
    flat_elementwise_kernel<Op, I><<<grid_for(planes * hw, kThreads), kThreads, 0, stream>>>(
        op, planes * hw, Divider<I>(channels), Divider<I>(hw));
    GRAFT_CUDA_CHECK_LAUNCH(op_name, flat_elementwise_kernel);
  });
}

}  // namespace

void batch_norm_train(const BatchNormTrainArgs& a, int device) {
  const char* op = "cudaBatchNormTrain";
  cudaStream_t stream = stream_for(op, device);
  if (a.c == 0) return;
  const ChannelSplit split = channel_split(op, device, a.c, a.n * a.hw);
  const DeviceScratch<double> partial(op, 3 * a.c * split.ranges, device);
  const DeviceScratch<float> scale(op, a.c, device);
  range_moments_kernel<<<range_grid(a.c, split), kLineThreads, 0, stream>>>(a.x, a.n, a.c, a.hw, split, partial.get());
  GRAFT_CUDA_CHECK_LAUNCH(op, range_moments_kernel);
  train_stats_kernel<<<grid_for(a.c, kThreads), kThreads, 0, stream>>>(a, split.ranges, partial.get(), scale.get());
  GRAFT_CUDA_CHECK_LAUNCH(op, train_stats_kernel);
  launch_channel_elementwise(op, Normalize{{a.x}, a.y, a.save_mean, scale.get(), a.beta}, a.n, a.c, a.hw, stream);
}

void batch_norm_eval(const BatchNormEvalArgs& a, int device) {
  const char* op = "cudaBatchNormEval";
  cudaStream_t stream = stream_for(op, device);
  const int64_t total = a.n * a.c * a.hw;
  if (total == 0) return;
  const DeviceScratch<float> scale(op, a.c, device);
  eval_scale_kernel<<<grid_for(a.c, kThreads), kThreads, 0, stream>>>(a, scale.get());
  GRAFT_CUDA_CHECK_LAUNCH(op, eval_scale_kernel);
  launch_channel_elementwise(op, Normalize{{a.x}, a.y, a.running_mean, scale.get(), a.beta}, a.n, a.c, a.hw, stream);
}

void batch_norm_backward(const BatchNormBackwardArgs& a, int device) {
  const char* op = "cudaBatchNormBackward";
  cudaStream_t stream = stream_for(op, device);
  if (a.c == 0) return;
  const ChannelSplit split = channel_split(op, device, a.c, a.n * a.hw);
  const DeviceScratch<double> partial(op, 2 * a.c * split.ranges, device);
  const DeviceScratch<float> coef(op, 3 * a.c, device);
  range_grad_sums_kernel<<<range_grid(a.c, split), kLineThreads, 0, stream>>>(a.dy, a.x, a.save_mean, a.n, a.c, a.hw,
                                                                              split, partial.get());
  GRAFT_CUDA_CHECK_LAUNCH(op, range_grad_sums_kernel);
  backward_coef_kernel<<<grid_for(a.c, kThreads), kThreads, 0, stream>>>(a, split.ranges, partial.get(), coef.get());
  GRAFT_CUDA_CHECK_LAUNCH(op, backward_coef_kernel);
  if (a.dx) {
    const BackwardDx dx{{a.dy, a.x}, a.dx, a.save_mean, coef.get(), a.c};
    launch_channel_elementwise(op, dx, a.n, a.c, a.hw, stream);
  }
}

void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a, int device) {
  const char* op = "cudaBatchNormBackwardEval";
  cudaStream_t stream = stream_for(op, device);
  if (a.c == 0) return;
  if (a.dgamma || a.dbeta) {
    const ChannelSplit split = channel_split(op, device, a.c, a.n * a.hw);
    const DeviceScratch<double> partial(op, 2 * a.c * split.ranges, device);
    range_grad_sums_kernel<<<range_grid(a.c, split), kLineThreads, 0, stream>>>(
        a.dy, a.dgamma ? a.x : nullptr, a.running_mean, a.n, a.c, a.hw, split, partial.get());
    GRAFT_CUDA_CHECK_LAUNCH(op, range_grad_sums_kernel);
    backward_eval_params_kernel<<<grid_for(a.c, kThreads), kThreads, 0, stream>>>(a, split.ranges, partial.get());
    GRAFT_CUDA_CHECK_LAUNCH(op, backward_eval_params_kernel);
  }
  if (a.dx) {
    const DeviceScratch<float> scale(op, a.c, device);
    backward_eval_scale_kernel<<<grid_for(a.c, kThreads), kThreads, 0, stream>>>(a, scale.get());
    GRAFT_CUDA_CHECK_LAUNCH(op, backward_eval_scale_kernel);
    launch_channel_elementwise(op, BackwardEvalDx{{a.dy}, a.dx, scale.get()}, a.n, a.c, a.hw, stream);
  }
}

}  // namespace graft::cuda
