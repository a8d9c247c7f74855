// GEMM sandbox: numbered kernels validated against a float64 CPU reference, then timed (GFLOP/s).
//   kernel 1: naive, one thread per output, float32          (here)
//   kernel 2: graft::cuda::gemm float32 tiles                 (src/cuda/gemm.cu)
//   kernel 3: graft::cuda::gemm TF32 tensor cores             (src/cuda/gemm.cu)
//   kernel 4: graft::cuda::gemm BF16 tensor cores             (src/cuda/gemm.cu)
// A new candidate goes in as kernel 5 here and replaces src/ only when it validates and wins.
// Build and run from the repository root on a GPU machine:
//   nvcc -std=c++17 -O3 -arch=native -Inative/include -Inative/src native/dev/cuda/gemm.cu \
//     native/src/cuda/gemm.cu native/src/cuda/runtime.cu native/src/cuda/allocator.cu native/src/cuda/memory.cu \
//     -o /tmp/gemm_dev && /tmp/gemm_dev [kernel]
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace {

// a (M,K), b (K,N), c (M,N), row-major, no transposes.
__global__ void gemm_naive(int m, int n, int k, const float* a, const float* b, float* c) {
  const int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= m || j >= n) return;
  float acc = 0.0f;
  for (int l = 0; l < k; ++l) acc += a[i * k + l] * b[l * n + j];
  c[i * n + j] = acc;
}

void run(int kernel, int m, int n, int k, const float* a, const float* b, float* c) {
  if (kernel == 1) {
    const dim3 threads(16, 16), blocks((n + 15) / 16, (m + 15) / 16);
    gemm_naive<<<blocks, threads, 0, graft::cuda::stream_for("dev", 0)>>>(m, n, k, a, b, c);
    GRAFT_CUDA_CHECK_LAUNCH("dev", gemm_naive);
    return;
  }
  graft::GemmParams p;
  p.m = m, p.n = n, p.k = k, p.lda = k, p.ldb = n, p.ldc = n;
  const graft::cuda::Precision precision[] = {graft::cuda::Precision::Float32, graft::cuda::Precision::Tf32,
                                              graft::cuda::Precision::Bf16};
  graft::cuda::gemm(p, a, b, c, precision[kernel - 2], 0);
}

// Worst |c - ref| / (|ref| + 1) against a float64 reference on a subset of rows.
double max_error(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c) {
  double worst = 0.0;
  for (int i = 0; i < m; i += 7)
    for (int j = 0; j < n; ++j) {
      double ref = 0.0;
      for (int l = 0; l < k; ++l) ref += double(a[size_t(i) * k + l]) * b[size_t(l) * n + j];
      worst = std::fmax(worst, std::fabs(c[size_t(i) * n + j] - ref) / (std::fabs(ref) + 1.0));
    }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  const int only = argc > 1 ? std::atoi(argv[1]) : 0;
  const int sizes[] = {127, 512, 1024, 2048, 4096};
  std::printf("%-7s %-8s %-12s %-10s\n", "kernel", "size", "max rel err", "GFLOP/s");
  try {
    graft::cuda::require_device("dev", 0);
    for (int size : sizes) {
      const int m = size, n = size, k = size;
      std::mt19937 gen(size);
      std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
      std::vector<float> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
      for (float& v : a) v = uniform(gen);
      for (float& v : b) v = uniform(gen);
      float *da = nullptr, *db = nullptr, *dc = nullptr;
      GRAFT_CUDA_CHECK("dev", cudaMalloc(&da, a.size() * 4));
      GRAFT_CUDA_CHECK("dev", cudaMalloc(&db, b.size() * 4));
      GRAFT_CUDA_CHECK("dev", cudaMalloc(&dc, c.size() * 4));
      graft::cuda::upload("dev", 0, da, a.data(), a.size() * 4);
      graft::cuda::upload("dev", 0, db, b.data(), b.size() * 4);
      for (int kernel = 1; kernel <= 4; ++kernel) {
        if (only && kernel != only) continue;
        run(kernel, m, n, k, da, db, dc);  // warm-up, and the output validated below
        graft::cuda::download("dev", 0, c.data(), dc, c.size() * 4);
        const double err = max_error(m, n, k, a, b, c);
        cudaEvent_t start, stop;
        GRAFT_CUDA_CHECK("dev", cudaEventCreate(&start));
        GRAFT_CUDA_CHECK("dev", cudaEventCreate(&stop));
        const int reps = size <= 1024 ? 20 : 5;
        cudaStream_t stream = graft::cuda::stream_for("dev", 0);
        GRAFT_CUDA_CHECK("dev", cudaEventRecord(start, stream));
        for (int r = 0; r < reps; ++r) run(kernel, m, n, k, da, db, dc);
        GRAFT_CUDA_CHECK("dev", cudaEventRecord(stop, stream));
        GRAFT_CUDA_CHECK("dev", cudaEventSynchronize(stop));
        float ms = 0.0f;
        GRAFT_CUDA_CHECK("dev", cudaEventElapsedTime(&ms, start, stop));
        const double gflops = 2.0 * m * n * k * reps / (ms * 1e-3) / 1e9;
        std::printf("%-7d %-8d %-12.3g %-10.1f\n", kernel, size, err, gflops);
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
      }
      cudaFree(da);
      cudaFree(db);
      cudaFree(dc);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
