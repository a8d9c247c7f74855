// CUDA layer norm (graft/norm.h): x, y, dy, dx (rows,D); gamma, beta, dgamma, dbeta (D); saved stats (rows).
// The reference's double arithmetic (src/ref/layer_norm.cc), rounded to float once per output:
//   forward and dx: a warp per row of up to 1024 values, else a block (cuda/line.cuh), fixed-order trees
//                   for the row sums;
//   dgamma, dbeta:  a thread per column j, summing over rows in row order.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

template <typename Co>
__global__ void forward_kernel(LayerNormArgs a) {
  for (int64_t row = Co::line(); row < a.rows; row += Co::line_step()) {
    const float* x = a.x + row * a.d;
    double sum = 0.0;
    for (int64_t j = Co::first(); j < a.d; j += Co::step()) sum += x[j];
    sum = Co::all(sum, AddDoubles{});
    const double mean = a.d > 0 ? sum / double(a.d) : 0.0;
    double sq = 0.0;
    for (int64_t j = Co::first(); j < a.d; j += Co::step()) sq += (x[j] - mean) * (x[j] - mean);
    sq = Co::all(sq, AddDoubles{});
    const double invstd = 1.0 / sqrt((a.d > 0 ? sq / double(a.d) : 0.0) + a.eps);
    for (int64_t j = Co::first(); j < a.d; j += Co::step()) {
      const double g = a.gamma ? a.gamma[j] : 1.0, b = a.beta ? a.beta[j] : 0.0;
      a.y[row * a.d + j] = static_cast<float>((x[j] - mean) * invstd * g + b);
    }
    if (Co::first() == 0) {
      a.save_mean[row] = static_cast<float>(mean);
      a.save_invstd[row] = static_cast<float>(invstd);
    }
  }
}

// g = dy*gamma, dx = invstd/D * (D*g - sum g - xhat*sum(g*xhat))
template <typename Co>
__global__ void dx_kernel(LayerNormBackwardArgs a) {
  const double d = double(a.d);
  for (int64_t row = Co::line(); row < a.rows; row += Co::line_step()) {
    const float *x = a.x + row * a.d, *dy = a.dy + row * a.d;
    const double mean = a.save_mean[row], invstd = a.save_invstd[row];
    double sum_g = 0.0, sum_g_xhat = 0.0;
    for (int64_t j = Co::first(); j < a.d; j += Co::step()) {
      const double g = dy[j] * (a.gamma ? a.gamma[j] : 1.0);
      sum_g += g;
      sum_g_xhat += g * ((x[j] - mean) * invstd);
    }
    sum_g = Co::all(sum_g, AddDoubles{});
    sum_g_xhat = Co::all(sum_g_xhat, AddDoubles{});
    for (int64_t j = Co::first(); j < a.d; j += Co::step()) {
      const double xhat = (x[j] - mean) * invstd, g = dy[j] * (a.gamma ? a.gamma[j] : 1.0);
      a.dx[row * a.d + j] = static_cast<float>(invstd / d * (d * g - sum_g - xhat * sum_g_xhat));
    }
  }
}

__global__ void dparams_kernel(LayerNormBackwardArgs a) {
  for (int64_t j = ThreadLine::line(); j < a.d; j += ThreadLine::line_step()) {
    double dgamma = 0.0, dbeta = 0.0;
    for (int64_t row = 0; row < a.rows; ++row) {
      const double dy = a.dy[row * a.d + j];
      dgamma += dy * ((a.x[row * a.d + j] - double(a.save_mean[row])) * double(a.save_invstd[row]));
      dbeta += dy;
    }
    if (a.dgamma) a.dgamma[j] = static_cast<float>(dgamma);
    if (a.dbeta) a.dbeta[j] = static_cast<float>(dbeta);
  }
}

}  // namespace

void layer_norm(const LayerNormArgs& a, int device) {
  cudaStream_t stream = stream_for("cudaLayerNorm", device);
  if (a.rows == 0) return;
  with_row_line(a.d, [&](auto co) {
    using Co = decltype(co);
    forward_kernel<Co><<<Co::blocks(a.rows), kLineThreads, 0, stream>>>(a);
    GRAFT_CUDA_CHECK_LAUNCH("cudaLayerNorm", forward_kernel);
  });
}

void layer_norm_backward(const LayerNormBackwardArgs& a, int device) {
  const char* op = "cudaLayerNormBackward";
  cudaStream_t stream = stream_for(op, device);
  if (a.dx && a.rows > 0 && a.d > 0) {
    with_row_line(a.d, [&](auto co) {
      using Co = decltype(co);
      dx_kernel<Co><<<Co::blocks(a.rows), kLineThreads, 0, stream>>>(a);
      GRAFT_CUDA_CHECK_LAUNCH(op, dx_kernel);
    });
  }
  if ((a.dgamma || a.dbeta) && a.d > 0) {
    dparams_kernel<<<ThreadLine::blocks(a.d), kLineThreads, 0, stream>>>(a);
    GRAFT_CUDA_CHECK_LAUNCH(op, dparams_kernel);
  }
}

}  // namespace graft::cuda
