// CUDA binary cross-entropy with logits (graft/loss.h): logits, targets, dlogits (N,C); pos_weight (C);
// losses (N*C) for None, else (1). The CPU's float32 element formulas; element losses summed in double,
// per chunk of 4096 in a fixed tree, then the chunks in order by one thread: reproducible run to run.
#include <cuda_runtime.h>

#include <cmath>

#include "cuda/cuda_check.cuh"
#include "cuda/divide.cuh"
#include "graft/cuda.h"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kChunk = 4096;

template <typename I>
struct Bce {
  int64_t total;
  Divider<I> by_c;  // pos_weight's index is the element's column
  const float *logits, *targets, *pos_weight;
  float *losses, *dlogits;
  bool keep;     // reduction None: write each element's loss
  double scale;  // gradient scale: 1/total for Mean, else 1
};

template <typename I>
__device__ double element(const Bce<I>& a, I i) {
  const float x = a.logits[i], y = a.targets[i];
  const float pw = a.pos_weight ? a.pos_weight[a.by_c.divmod(i).remainder] : 1.0f;
  // __fmul_rn: nvcc would otherwise fuse these multiply-adds into FMAs, which the CPU build does not use;
  // near a zero gradient the fused form differs from the CPU's by up to half an ulp of the product.
  const float log_weight = 1.0f + __fmul_rn(pw - 1.0f, y);
  const float e = expf(-fabsf(x));
  const double loss = double(1.0f - y) * x + double(log_weight) * (double(log1pf(e)) + fmaxf(-x, 0.0f));
  if (a.keep) a.losses[i] = static_cast<float>(loss);
  if (a.dlogits) {
    const float sigmoid_neg = (x < 0 ? 1.0f : e) / (1.0f + e);
    a.dlogits[i] = static_cast<float>(((1.0f - y) - __fmul_rn(log_weight, sigmoid_neg)) * a.scale);
  }
  return loss;
}

// Block b sums chunk b of kChunk elements into partial[b].
template <typename I>
__global__ void bce_chunk_kernel(Bce<I> a, double* partial) {
  __shared__ double sums[kThreads];
  const int64_t begin = blockIdx.x * kChunk, end = min(a.total, begin + kChunk);
  double acc = 0.0;
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) acc += element(a, static_cast<I>(i));
  sums[threadIdx.x] = acc;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) sums[threadIdx.x] += sums[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];
}

__global__ void bce_total_kernel(const double* partial, int64_t chunks, bool mean, int64_t total, float* loss) {
  double sum = 0.0;
  for (int64_t b = 0; b < chunks; ++b) sum += partial[b];
  loss[0] = static_cast<float>(mean ? sum / double(total) : sum);
}

}  // namespace

void bce_with_logits(const BceWithLogitsArgs& args, int device) {
  const char* op = "cudaBceWithLogits";
  cudaStream_t stream = stream_for(op, device);
  const int64_t total = args.n * args.c;
  const bool mean = args.reduction == Reduction::Mean;
  if (total == 0) {
    // Mean of nothing is NaN, a sum of nothing 0 (as the CPU).
    if (args.reduction != Reduction::None) fill(args.losses, 1, 4, mean ? 0x7fc00000u : 0u, device);
    return;
  }
  const int64_t chunks = (total + kChunk - 1) / kChunk;
  const DeviceScratch<double> partial(op, chunks, device);
  with_index_type(total, [&](auto index) {
    using I = decltype(index);
    const Bce<I> a{total, Divider<I>(args.c), args.logits, args.targets, args.pos_weight, args.losses, args.dlogits,
                   args.reduction == Reduction::None, mean ? 1.0 / double(total) : 1.0};
    bce_chunk_kernel<I><<<static_cast<unsigned>(chunks), kThreads, 0, stream>>>(a, partial.get());
    GRAFT_CUDA_CHECK_LAUNCH(op, bce_chunk_kernel);
  });
  if (args.reduction != Reduction::None) {
    bce_total_kernel<<<1, 1, 0, stream>>>(partial.get(), chunks, mean, total, args.losses);
    GRAFT_CUDA_CHECK_LAUNCH(op, bce_total_kernel);
  }
}

}  // namespace graft::cuda
