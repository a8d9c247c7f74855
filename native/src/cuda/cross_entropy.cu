// CUDA cross-entropy (graft/loss.h): logits (N,C); targets (N) int32 or soft targets (N,C); weights (C);
// losses (N) or (1); dlogits (N,C). Double arithmetic as the reference (src/ref/cross_entropy.cc):
//   1. a warp per row (a block for rows of over 1024 classes, cuda/line.cuh): log-sum-exp, the row's
//      loss, its weight in the mean's denominator, and the coefficient its gradient needs (fixed-order
//      trees);
//   2. one block sums the rows' losses and denominators in a fixed order and sets the gradient scale;
//   3. an elementwise pass writes dlogits.
// Hard targets are not read back to the host: one outside [0, C) that is not ignore_index gives that
// row a NaN loss and NaN gradients (never an out-of-bounds read).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

struct Max { __device__ double operator()(double a, double b) const { return fmax(a, b); } };

// Per-row results in one double scratch block of 4N + 1: loss, denominator, log-sum-exp, gradient
// coefficient (soft: sum of w*q; hard: (1-eps)*w[t] + eps/C*sum w), then the gradient scale.
struct Rows {
  double* loss;
  double* denominator;
  double* log_sum;
  double* coef;
  double* scale;
  __host__ __device__ Rows(double* base, int64_t n)
      : loss(base), denominator(base + n), log_sum(base + 2 * n), coef(base + 3 * n), scale(base + 4 * n) {}
};

__device__ __forceinline__ double weight(const CrossEntropyArgs& a, int64_t j) { return a.weights ? double(a.weights[j]) : 1.0; }
__device__ __forceinline__ bool bad_target(const CrossEntropyArgs& a, int64_t t) {
  return t != a.ignore_index && (t < 0 || t >= a.c);
}

template <typename Co>
__global__ void rows_kernel(CrossEntropyArgs a, Rows rows) {
  const double eps = a.label_smoothing, classes = double(a.c);
  for (int64_t n = Co::line(); n < a.n; n += Co::line_step()) {
    const float* x = a.logits + n * a.c;
    double max = -INFINITY;
    for (int64_t j = Co::first(); j < a.c; j += Co::step()) max = fmax(max, double(x[j]));
    max = Co::all(max, Max{});
    double sum = 0.0;
    for (int64_t j = Co::first(); j < a.c; j += Co::step()) sum += exp(double(x[j]) - max);
    const double log_sum = ::log(Co::all(sum, AddDoubles{})) + max;
    // Soft: sum of wq*logp and of wq. Hard: sum of w*logp and of w (label smoothing's uniform part).
    double dot = 0.0, mass = 0.0;
    for (int64_t j = Co::first(); j < a.c; j += Co::step()) {
      const double logp = double(x[j]) - log_sum;
      const double w = a.soft_targets ? weight(a, j) * ((1.0 - eps) * a.soft_targets[n * a.c + j] + eps / classes) : weight(a, j);
      dot += w * logp;
      mass += w;
    }
    dot = Co::all(dot, AddDoubles{});
    mass = Co::all(mass, AddDoubles{});
    if (Co::first() != 0) continue;
    rows.log_sum[n] = log_sum;
    if (a.soft_targets) {
      rows.loss[n] = -dot, rows.denominator[n] = 1.0, rows.coef[n] = mass;
    } else {
      const int64_t t = a.targets[n];
      if (t == a.ignore_index) {
        rows.loss[n] = 0.0, rows.denominator[n] = 0.0, rows.coef[n] = 0.0;
      } else if (bad_target(a, t)) {
        rows.loss[n] = NAN, rows.denominator[n] = NAN, rows.coef[n] = NAN;
      } else {
        const double wt = weight(a, t), logp_t = double(x[t]) - log_sum;
        // Without smoothing the uniform part is skipped, as on the CPU: 0 * dot would be NaN for a -inf logit.
        rows.loss[n] = (eps != 0.0 ? -(eps / classes) * dot : 0.0) - (1.0 - eps) * wt * logp_t;
        rows.denominator[n] = wt;
        rows.coef[n] = (1.0 - eps) * wt + (eps / classes) * mass;
      }
    }
    if (a.reduction == Reduction::None) a.losses[n] = static_cast<float>(rows.loss[n]);
  }
}

__global__ void total_kernel(CrossEntropyArgs a, Rows rows) {
  double loss = 0.0, denominator = 0.0;
  for (int64_t n = threadIdx.x; n < a.n; n += kLineThreads) loss += rows.loss[n], denominator += rows.denominator[n];
  loss = BlockLine::all(loss, AddDoubles{});
  denominator = BlockLine::all(denominator, AddDoubles{});
  if (threadIdx.x != 0) return;
  *rows.scale = a.reduction == Reduction::Mean ? 1.0 / denominator : 1.0;
  if (a.reduction == Reduction::Mean) a.losses[0] = static_cast<float>(loss / denominator);
  if (a.reduction == Reduction::Sum) a.losses[0] = static_cast<float>(loss);
}

// Soft: grad = p*sum(wq) - wq.  Hard: grad = p*coef - eps/C*w[j] - (j == t)*(1-eps)*w[t]; 0 when ignored.
template <typename I>
__global__ void grad_kernel(CrossEntropyArgs a, Rows rows, Divider<I> by_c) {
  const double eps = a.label_smoothing, classes = double(a.c), scale = *rows.scale;
  for_each_item<I>(a.n * a.c, [&](I i) {
    const QuotientRemainder<I> nj = by_c.divmod(i);
    const int64_t n = nj.quotient, j = nj.remainder;
    const double p = exp(double(a.logits[i]) - rows.log_sum[n]);
    double grad;
    if (a.soft_targets) {
      grad = p * rows.coef[n] - weight(a, j) * ((1.0 - eps) * a.soft_targets[i] + eps / classes);
    } else {
      const int64_t t = a.targets[n];
      if (t == a.ignore_index) grad = 0.0;
      else if (bad_target(a, t)) grad = NAN;
      else grad = p * rows.coef[n] - (eps / classes) * weight(a, j) - (j == t ? (1.0 - eps) * weight(a, t) : 0.0);
    }
    a.dlogits[i] = static_cast<float>(grad * scale);
  });
}

}  // namespace

void cross_entropy(const CrossEntropyArgs& a, int device) {
  const char* op = "cudaCrossEntropy";
  cudaStream_t stream = stream_for(op, device);
  const DeviceScratch<double> base(op, 4 * a.n + 1, device);
  const Rows rows(base.get(), a.n);
  if (a.n > 0) {
    with_row_line(a.c, [&](auto co) {
      using Co = decltype(co);
      rows_kernel<Co><<<Co::blocks(a.n), kLineThreads, 0, stream>>>(a, rows);
      GRAFT_CUDA_CHECK_LAUNCH(op, rows_kernel);
    });
  }
  total_kernel<<<1, kLineThreads, 0, stream>>>(a, rows);
  GRAFT_CUDA_CHECK_LAUNCH(op, total_kernel);
  if (a.dlogits && a.n * a.c > 0) {
    with_index_type(a.n * a.c, [&](auto index) {
      using I = decltype(index);
      grad_kernel<I><<<grid_for(a.n * a.c, kLineThreads), kLineThreads, 0, stream>>>(a, rows, Divider<I>(a.c));
      GRAFT_CUDA_CHECK_LAUNCH(op, grad_kernel);
    });
  }
}

}  // namespace graft::cuda
