// GEMM sandbox: graft::cuda::gemm (src/cuda/gemm*.cu) at every precision, checked against a float64 CPU
// reference, then timed beside cuBLAS in the same process (cuBLAS only where its header is found).
//   check: odd shapes (1, 7, 33, 127, 129, 1000...), all four transposes, padded leading dimensions,
//          strided batches, alpha/beta, beta == 0 over a NaN-poisoned C; ||c - ref|| / ||ref|| per case
//          against float32 1e-5, tf32 1e-3, bf16 1e-2, and C's padding columns must stay untouched.
//   bench: square N (row-major, no transposes), median of event-timed runs after warm-up, GFLOP/s,
//          each large product re-checked on a sample of rows; a device-to-device copy gives the
//          bandwidth that bounds the tensor-core path's packing pass.
// Build and run: native/dev/cuda/run.sh (builds the variants, writes logs to $OUT or /tmp).
//   usage: gemm_dev [check] [bench [N,N,...]]   (both, at 1024,4096,8192, when no argument is given)
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

#if __has_include(<cublas_v2.h>)
#include <cublas_v2.h>
#define GEMM_DEV_CUBLAS 1
#endif

namespace {

using graft::GemmParams;
using graft::cuda::Precision;
constexpr const char* kOp = "gemm_dev";
const Precision kPrecisions[] = {Precision::Float32, Precision::Tf32, Precision::Bf16};

double tolerance(Precision p) { return p == Precision::Float32 ? 1e-5 : p == Precision::Tf32 ? 1e-3 : 1e-2; }

struct DeviceArray {
  float* ptr = nullptr;
  explicit DeviceArray(size_t n) { GRAFT_CUDA_CHECK(kOp, cudaMalloc(&ptr, std::max<size_t>(n, 1) * 4)); }
  ~DeviceArray() { cudaFree(ptr); }
};

std::mt19937_64 rng(12345);
std::vector<float> random_vector(size_t n) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// ||c - ref|| / ||ref|| over rows [0, m) step `row_step` of every batch; NaN anywhere gives +inf.
// Also fails (returns +inf) when a padding column of C changed.
double relative_error(const GemmParams& p, const std::vector<float>& a, const std::vector<float>& b,
                      const std::vector<float>& c0, const std::vector<float>& c, int64_t row_step) {
  double num = 0.0, den = 0.0;
  for (int64_t t = 0; t < p.batch; ++t) {
    const float* A = a.data() + t * p.stride_a;
    const float* B = b.data() + t * p.stride_b;
    std::vector<double> sum(size_t(p.n));
    for (int64_t i = 0; i < p.m; i += row_step) {
      std::fill(sum.begin(), sum.end(), 0.0);
      for (int64_t l = 0; l < p.k; ++l) {  // row i of op(A) op(B), a row of op(B) at a time
        const double ail = p.trans_a ? A[l * p.lda + i] : A[i * p.lda + l];
        for (int64_t j = 0; j < p.n; ++j) sum[j] += ail * (p.trans_b ? B[j * p.ldb + l] : B[l * p.ldb + j]);
      }
      for (int64_t j = 0; j < p.ldc; ++j) {
        const size_t at = size_t(t * p.stride_c + i * p.ldc + j);
        if (j >= p.n) {  // padding: must hold its old bits
          if (std::memcmp(&c[at], &c0[at], 4) != 0) return INFINITY;
          continue;
        }
        const double ref = p.alpha * sum[j] + (p.beta != 0.0f ? double(p.beta) * c0[at] : 0.0);
        if (!std::isfinite(c[at])) return INFINITY;
        num += (c[at] - ref) * (c[at] - ref);
        den += ref * ref;
      }
    }
  }
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

// One checked case; returns the relative error.
double check_case(Precision precision, int64_t m, int64_t n, int64_t k, bool ta, bool tb, int64_t batch, int pad,
                  float alpha, float beta) {
  GemmParams p;
  p.trans_a = ta, p.trans_b = tb, p.m = m, p.n = n, p.k = k, p.alpha = alpha, p.beta = beta, p.batch = batch;
  p.lda = (ta ? m : k) + pad, p.ldb = (tb ? k : n) + pad, p.ldc = n + pad;
  p.stride_a = (ta ? k : m) * p.lda + pad, p.stride_b = (tb ? n : k) * p.ldb + pad, p.stride_c = m * p.ldc + pad;
  const size_t na = size_t(p.stride_a * batch), nb = size_t(p.stride_b * batch), nc = size_t(p.stride_c * batch);
  std::vector<float> a = random_vector(na), b = random_vector(nb), c0 = random_vector(nc), c(nc);
  if (beta == 0.0f)  // poisoned: any element not written, or read, shows up as NaN
    for (int64_t t = 0; t < batch; ++t)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) c0[size_t(t * p.stride_c + i * p.ldc + j)] = NAN;
  DeviceArray da(na), db(nb), dc(nc);
  graft::cuda::upload(kOp, 0, da.ptr, a.data(), na * 4);
  graft::cuda::upload(kOp, 0, db.ptr, b.data(), nb * 4);
  graft::cuda::upload(kOp, 0, dc.ptr, c0.data(), nc * 4);
  graft::cuda::gemm(p, da.ptr, db.ptr, dc.ptr, precision, 0);
  graft::cuda::download(kOp, 0, c.data(), dc.ptr, nc * 4);
  return relative_error(p, a, b, c0, c, 1);
}

int run_checks() {
  const int64_t sizes[][3] = {{1, 1, 1},     {7, 33, 127},   {129, 127, 33}, {1000, 129, 7},  {33, 1000, 129},
                              {127, 7, 1000}, {257, 300, 520}, {128, 128, 64}, {1, 129, 1000}, {130, 1, 33}};
  int failures = 0;
  for (Precision precision : kPrecisions) {
    double worst = 0.0;
    int cases = 0;
    auto record = [&](double err, const std::string& what) {
      ++cases;
      worst = std::max(worst, err);
      if (!(err <= tolerance(precision))) {
        ++failures;
        std::printf("FAIL %-8s %s: rel err %.3g\n", graft::cuda::precision_name(precision), what.c_str(), err);
      }
    };
    for (auto& s : sizes)
      for (int t = 0; t < 4; ++t) {
        const bool ta = t & 1, tb = t & 2;
        const bool poison = (s[0] + t) % 2 == 0;  // half the cases beta == 0 over NaN, half alpha/beta
        const float alpha = poison ? 1.0f : 0.75f, beta = poison ? 0.0f : -0.5f;
        char what[128];
        std::snprintf(what, sizeof what, "m=%lld n=%lld k=%lld ta=%d tb=%d beta=%g", (long long)s[0], (long long)s[1],
                      (long long)s[2], ta, tb, beta);
        record(check_case(precision, s[0], s[1], s[2], ta, tb, 1, 0, alpha, beta), what);
      }
    for (int t = 0; t < 4; ++t) {  // batches, padded leading dimensions, odd strides (misaligned rows)
      record(check_case(precision, 66, 70, 45, t & 1, t & 2, 3, 3, 1.25f, 0.5f), "batch=3 pad=3 t=" + std::to_string(t));
      record(check_case(precision, 131, 140, 260, t & 1, t & 2, 2, 4, 1.0f, 0.0f), "batch=2 pad=4 t=" + std::to_string(t));
    }
    record(check_case(precision, 17, 9, 0, false, false, 2, 1, 1.0f, 2.0f), "k=0 (C = beta C)");
    std::printf("check %-8s %3d cases, worst rel err %.3g (tolerance %.0e)\n", graft::cuda::precision_name(precision),
                cases, worst, tolerance(precision));
  }
  return failures;
}

// Median of event-timed runs of fn after warm-up, in ms.
template <typename Fn>
double time_ms(Fn fn, int reps) {
  cudaStream_t stream = graft::cuda::stream_for(kOp, 0);
  for (int r = 0; r < 3; ++r) fn(stream);
  std::vector<float> ms(reps);
  cudaEvent_t start, stop;
  GRAFT_CUDA_CHECK(kOp, cudaEventCreate(&start));
  GRAFT_CUDA_CHECK(kOp, cudaEventCreate(&stop));
  for (int r = 0; r < reps; ++r) {
    GRAFT_CUDA_CHECK(kOp, cudaEventRecord(start, stream));
    fn(stream);
    GRAFT_CUDA_CHECK(kOp, cudaEventRecord(stop, stream));
    GRAFT_CUDA_CHECK(kOp, cudaEventSynchronize(stop));
    GRAFT_CUDA_CHECK(kOp, cudaEventElapsedTime(&ms[r], start, stop));
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[reps / 2];
}

__global__ void to_bf16(const float* x, __nv_bfloat16* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __float2bfloat16_rn(x[i]);
}

void bench(const std::vector<int64_t>& sizes) {
  std::vector<std::string> table;
#ifdef GEMM_DEV_CUBLAS
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) throw graft::Error("cublasCreate failed");
  cublasSetStream(handle, graft::cuda::stream_for(kOp, 0));
#endif
  for (int64_t n : sizes) {
    const size_t count = size_t(n) * n;
    std::vector<float> a = random_vector(count), b = random_vector(count), c(count);
    DeviceArray da(count), db(count), dc(count), da16((count + 1) / 2), db16((count + 1) / 2);
    graft::cuda::upload(kOp, 0, da.ptr, a.data(), count * 4);
    graft::cuda::upload(kOp, 0, db.ptr, b.data(), count * 4);
    const int reps = n >= 8192 ? 10 : 20;
    const double flop = 2.0 * double(n) * n * n;
    const double copy_ms = time_ms([&](cudaStream_t s) {
      GRAFT_CUDA_CHECK(kOp, cudaMemcpyAsync(dc.ptr, da.ptr, count * 4, cudaMemcpyDeviceToDevice, s));
    }, reps);
    char line[256];
    std::snprintf(line, sizeof line, "copy     N=%-5lld %8.3f ms  %7.0f GB/s (read+write)", (long long)n, copy_ms,
                  2.0 * count * 4 / (copy_ms * 1e-3) / 1e9);
    table.push_back(line);
    for (Precision precision : kPrecisions) {
      GemmParams p;
      p.m = p.n = p.k = p.lda = p.ldb = p.ldc = n;
      const double ms = time_ms([&](cudaStream_t) { graft::cuda::gemm(p, da.ptr, db.ptr, dc.ptr, precision, 0); }, reps);
      graft::cuda::download(kOp, 0, c.data(), dc.ptr, count * 4);
      const double err = relative_error(p, a, b, std::vector<float>(count), c, n / 16 + 1);
      double peer_ms = NAN;
#ifdef GEMM_DEV_CUBLAS
      const float one = 1.0f, zero = 0.0f;
      const int N = int(n);
      // Row-major C = A B is column-major C^T = B^T A^T: pass B first.
      if (precision == Precision::Float32) {
        peer_ms = time_ms([&](cudaStream_t) {
          cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, N, N, N, &one, db.ptr, N, da.ptr, N, &zero, dc.ptr, N);
        }, reps);
      } else if (precision == Precision::Tf32) {
        peer_ms = time_ms([&](cudaStream_t) {
          cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, N, N, N, &one, db.ptr, CUDA_R_32F, N, da.ptr, CUDA_R_32F, N,
                       &zero, dc.ptr, CUDA_R_32F, N, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT);
        }, reps);
      } else {  // cuBLAS gets bf16 operands converted beforehand (as a bf16 framework tensor would be)
        auto* a16 = reinterpret_cast<__nv_bfloat16*>(da16.ptr);
        auto* b16 = reinterpret_cast<__nv_bfloat16*>(db16.ptr);
        to_bf16<<<1024, 256, 0, graft::cuda::stream_for(kOp, 0)>>>(da.ptr, a16, int64_t(count));
        to_bf16<<<1024, 256, 0, graft::cuda::stream_for(kOp, 0)>>>(db.ptr, b16, int64_t(count));
        peer_ms = time_ms([&](cudaStream_t) {
          cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, N, N, N, &one, b16, CUDA_R_16BF, N, a16, CUDA_R_16BF, N,
                       &zero, dc.ptr, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        }, reps);
      }
      GRAFT_CUDA_CHECK(kOp, cudaGetLastError());
#endif
      std::snprintf(line, sizeof line, "%-8s N=%-5lld graft %8.3f ms %8.0f GFLOP/s | cuBLAS %8.3f ms %8.0f GFLOP/s | %5.1f%% | err %.2g%s",
                    graft::cuda::precision_name(precision), (long long)n, ms, flop / (ms * 1e-3) / 1e9, peer_ms,
                    flop / (peer_ms * 1e-3) / 1e9, 100.0 * peer_ms / ms, err, err <= tolerance(precision) ? "" : " FAIL");
      std::printf("%s\n", line);
      std::fflush(stdout);
      table.push_back(line);
    }
  }
#ifdef GEMM_DEV_CUBLAS
  cublasDestroy(handle);
#endif
  std::printf("\n");
  for (const auto& l : table) std::printf("%s\n", l.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  bool do_check = argc == 1, do_bench = argc == 1;
  std::vector<int64_t> sizes = {1024, 4096, 8192};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "check") == 0) do_check = true;
    if (std::strcmp(argv[i], "bench") == 0) {
      do_bench = true;
      if (i + 1 < argc && std::isdigit(argv[i + 1][0])) {
        sizes.clear();
        for (char* s = std::strtok(argv[++i], ","); s; s = std::strtok(nullptr, ",")) sizes.push_back(std::atoll(s));
      }
    }
  }
  try {
    graft::cuda::require_device(kOp, 0);
    int failures = do_check ? run_checks() : 0;
    if (do_bench) bench(sizes);
    std::printf("%s\n", failures ? "CHECKS FAILED" : "checks passed");
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return EXIT_FAILURE;
  }
}
