// CUDA optimizer steps and gradient-norm clipping (graft/optim.h): param, grad, state (n), in place.
// The float32 arithmetic is the CPU kernels' (src/cpu/sgd.cc, adam.cc, clip.cc) in the same order, with
// scalars rounded the same way on the host and every operation written with an _rn intrinsic so nvcc
// cannot contract a multiply-add into an FMA: the step gives the CPU's bits.
#include <cuda_runtime.h>

#include <cmath>
#include <string>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

struct SgdScalars {
  float lr, wd, mom, keep;
  bool use_wd, use_mom, nesterov, maximize, first_step;
};

__global__ void sgd_kernel(SgdScalars s, float* param, const float* grad, float* buffer, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float d = s.maximize ? -grad[i] : grad[i];
    if (s.use_wd) d = __fadd_rn(d, __fmul_rn(s.wd, param[i]));
    if (s.use_mom) {
      const float buf = s.first_step ? d : __fadd_rn(__fmul_rn(buffer[i], s.mom), __fmul_rn(s.keep, d));
      buffer[i] = buf;
      d = s.nesterov ? __fadd_rn(d, __fmul_rn(s.mom, buf)) : buf;
    }
    param[i] = __fsub_rn(param[i], __fmul_rn(s.lr, d));
  }
}

struct AdamScalars {
  float decay, wd, b1, b2, k1, k2, bc2, eps, neg_step_size;
  bool decoupled, coupled_wd, amsgrad, maximize;
};

__global__ void adam_kernel(AdamScalars s, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                            float* max_exp_avg_sq, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float g = s.maximize ? -grad[i] : grad[i];
    float p = param[i];
    if (s.decoupled) p = __fmul_rn(p, s.decay);
    if (s.coupled_wd) g = __fadd_rn(g, __fmul_rn(s.wd, p));
    const float m = __fadd_rn(__fmul_rn(exp_avg[i], s.b1), __fmul_rn(s.k1, g));
    const float v = __fadd_rn(__fmul_rn(exp_avg_sq[i], s.b2), __fmul_rn(s.k2, __fmul_rn(g, g)));
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    float v_used = v;
    if (s.amsgrad) {
      const float prior = max_exp_avg_sq[i];
      v_used = max_exp_avg_sq[i] = prior < v ? v : prior;  // std::max's NaN behaviour
    }
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v_used), s.bc2), s.eps);
    param[i] = __fadd_rn(p, __fmul_rn(s.neg_step_size, __fdiv_rn(m, denom)));
  }
}

// ---- gradient norm ------------------------------------------------------------------------------
// Each tensor gets a grid that depends only on its size; each thread reduces a fixed index set in
// order and each block a fixed tree, so the partials, and the one-block combine over them, never
// depend on timing: the norm is the same on every run.
enum class NormKind { SumSquares, MaxAbs, SumPow };
constexpr int kNormBlocksMax = 256;

__device__ __forceinline__ double combine(NormKind kind, double a, double b) {
  return kind == NormKind::MaxAbs ? (a < b ? b : a) : a + b;
}

__device__ double block_reduce(NormKind kind, double value) {
  __shared__ double shared[kThreads];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) shared[threadIdx.x] = combine(kind, shared[threadIdx.x], shared[threadIdx.x + width]);
    __syncthreads();
  }
  return shared[0];
}

__global__ void norm_partials_kernel(NormKind kind, double norm_type, const float* x, int64_t n, double* partials) {
  double acc = 0.0;
  for (int64_t i = blockIdx.x * int64_t(kThreads) + threadIdx.x; i < n; i += int64_t(gridDim.x) * kThreads) {
    const double v = fabs(static_cast<double>(x[i]));
    acc = kind == NormKind::SumSquares ? acc + v * v : kind == NormKind::MaxAbs ? (acc < v ? v : acc) : acc + pow(v, norm_type);
  }
  const double total = block_reduce(kind, acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void norm_combine_kernel(NormKind kind, const double* partials, int64_t count, double* out) {
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += kThreads) acc = combine(kind, acc, partials[i]);
  const double total = block_reduce(kind, acc);
  if (threadIdx.x == 0) *out = total;
}

__global__ void scale_kernel(float* x, int64_t n, float scale) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = __fmul_rn(x[i], scale);
}

int norm_blocks(int64_t n) {
  const int64_t blocks = (n + kThreads * 4 - 1) / (kThreads * 4);
  return static_cast<int>(blocks < 1 ? 1 : blocks > kNormBlocksMax ? kNormBlocksMax : blocks);
}

// Queues the partials of every grad and their combine into one double at partials[total count].
double total_norm_power(const char* op, float* const* grads, const int64_t* sizes, int64_t count, NormKind kind,
                        double norm_type, int device, cudaStream_t stream) {
  int64_t slots = 0;
  for (int64_t k = 0; k < count; ++k) slots += norm_blocks(sizes[k]);
  const DeviceScratch<double> scratch(op, slots + 1, device);
  double* partials = scratch.get();
  int64_t at = 0;
  for (int64_t k = 0; k < count; ++k) {
    const int blocks = norm_blocks(sizes[k]);
    norm_partials_kernel<<<blocks, kThreads, 0, stream>>>(kind, norm_type, grads[k], sizes[k], partials + at);
    GRAFT_CUDA_CHECK_LAUNCH(op, norm_partials_kernel);
    at += blocks;
  }
  norm_combine_kernel<<<1, kThreads, 0, stream>>>(kind, partials, slots, partials + slots);
  GRAFT_CUDA_CHECK_LAUNCH(op, norm_combine_kernel);
  double total = 0.0;
  download(op, device, &total, partials + slots, sizeof(double));
  return total;
}

}  // namespace

void sgd_step(const SgdArgs& a, int device) {
  cudaStream_t stream = stream_for("cudaSgdStep", device);
  if (a.n == 0) return;
  const SgdScalars s{static_cast<float>(a.lr), static_cast<float>(a.weight_decay), static_cast<float>(a.momentum),
                     static_cast<float>(1.0 - a.dampening), a.weight_decay != 0.0, a.momentum != 0.0, a.nesterov,
                     a.maximize, a.first_step};
  sgd_kernel<<<grid_for(a.n, kThreads), kThreads, 0, stream>>>(s, a.param, a.grad, a.momentum_buffer, a.n);
  GRAFT_CUDA_CHECK_LAUNCH("cudaSgdStep", sgd_kernel);
}

void adam_step(const AdamArgs& a, int device) {
  cudaStream_t stream = stream_for("cudaAdamStep", device);
  if (a.n == 0) return;
  const double step = static_cast<double>(a.step);
  const double bias1 = 1.0 - std::pow(a.beta1, step), bias2_sqrt = std::sqrt(1.0 - std::pow(a.beta2, step));
  const AdamScalars s{static_cast<float>(1.0 - a.lr * a.weight_decay), static_cast<float>(a.weight_decay),
                      static_cast<float>(a.beta1), static_cast<float>(a.beta2), static_cast<float>(1.0 - a.beta1),
                      static_cast<float>(1.0 - a.beta2), static_cast<float>(bias2_sqrt), static_cast<float>(a.eps),
                      static_cast<float>(-(a.lr / bias1)), a.decoupled_weight_decay,
                      !a.decoupled_weight_decay && a.weight_decay != 0.0, a.amsgrad, a.maximize};
  adam_kernel<<<grid_for(a.n, kThreads), kThreads, 0, stream>>>(s, a.param, a.grad, a.exp_avg, a.exp_avg_sq,
                                                                 a.max_exp_avg_sq, a.n);
  GRAFT_CUDA_CHECK_LAUNCH("cudaAdamStep", adam_kernel);
}

double clip_grad_norm(float* const* grads, const int64_t* sizes, int64_t count, double max_norm, double norm_type,
                      int device) {
  const char* op = "cudaClipGradNorm";
  cudaStream_t stream = stream_for(op, device);
  const bool inf = std::isinf(norm_type);
  const NormKind kind = inf ? NormKind::MaxAbs : norm_type == 2.0 ? NormKind::SumSquares : NormKind::SumPow;
  double total = count == 0 ? 0.0 : total_norm_power(op, grads, sizes, count, kind, norm_type, device, stream);
  if (!inf) total = std::pow(total, 1.0 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef >= 1.0) return total;  // torch multiplies by clamp(coef, max=1): a no-op here (NaN scales)
  const float scale = static_cast<float>(coef);
  for (int64_t k = 0; k < count; ++k) {
    if (sizes[k] == 0) continue;
    scale_kernel<<<grid_for(sizes[k], kThreads), kThreads, 0, stream>>>(grads[k], sizes[k], scale);
    GRAFT_CUDA_CHECK_LAUNCH(op, scale_kernel);
  }
  return total;
}

}  // namespace graft::cuda
