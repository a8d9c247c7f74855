// GEMM sandbox: validates every version against ref::gemm, then prints GFLOP/s per shape.
//   native/dev/gemm/run.sh [threads] [sizes...]     (sizes: N for square, or MxNxK)
// Versions: 1 rows (baseline), 2 packed + portable micro-kernel, 3 packed + AVX2 6x16 micro-kernel,
// 4 packed + AVX-512 12x32 micro-kernel (2-4 are src/cpu/gemm.cc with the ISA forced), and OpenBLAS
// when built with it.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "graft/gemm.h"
#include "graft/runtime.h"
#ifdef GRAFT_DEV_OPENBLAS
#include <cblas.h>
#endif

namespace graft::dev {
void gemm1_rows(const GemmParams& p, const float* a, const float* b, float* c);
}

namespace {
using graft::GemmParams;
using Fn = void (*)(const GemmParams&, const float*, const float*, float*);

void packed_generic(const GemmParams& p, const float* a, const float* b, float* c) {
  graft::set_active_isa(graft::Isa::Generic);
  graft::cpu::gemm(p, a, b, c);
}
void packed_avx2(const GemmParams& p, const float* a, const float* b, float* c) {
  graft::set_active_isa(graft::Isa::Avx2);
  graft::set_avx512_enabled(false);
  graft::cpu::gemm(p, a, b, c);
}
void packed_avx512(const GemmParams& p, const float* a, const float* b, float* c) {
  graft::set_active_isa(graft::Isa::Avx2);
  graft::set_avx512_enabled(true);
  graft::cpu::gemm(p, a, b, c);
}
#ifdef GRAFT_DEV_OPENBLAS
void openblas(const GemmParams& p, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, p.trans_a ? CblasTrans : CblasNoTrans, p.trans_b ? CblasTrans : CblasNoTrans,
              p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, c, p.ldc);
}
#endif

struct Version {
  const char* name;
  Fn fn;
};

double seconds_per_call(Fn fn, const GemmParams& p, const float* a, const float* b, float* c) {
  using clock = std::chrono::steady_clock;
  fn(p, a, b, c);  // warm-up
  std::vector<double> times;
  const auto start = clock::now();
  // GEMM_CLOCK=cpu: process CPU time (all threads), which on a shared, oversubscribed machine still
  // compares the work two kernels do (one thread only: OpenBLAS's waiting threads spin).
  static const bool cpu = std::getenv("GEMM_CLOCK") && std::string(std::getenv("GEMM_CLOCK")) == "cpu";
  auto now = [] {
    timespec ts;
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  while (times.size() < 3 || (std::chrono::duration<double>(clock::now() - start).count() < 0.3 && times.size() < 200)) {
    const double t0 = now();
    fn(p, a, b, c);
    times.push_back(now() - t0);
  }
  // The fastest calls: on a shared machine the slow ones measure the other load, not the kernel.
  std::sort(times.begin(), times.end());
  return times[times.size() / 4];
}

// Max |c - ref| / (1e-5*sqrt(K) + 1e-5*|ref|): <= 1 passes (the tolerance of native/test/gemm.test.ts).
double error_ratio(const std::vector<float>& c, const std::vector<float>& ref, int64_t k) {
  double worst = 0;
  for (size_t i = 0; i < c.size(); ++i)
    worst = std::max(worst, std::fabs(c[i] - ref[i]) / (1e-5 * std::sqrt(k + 1.0) + 1e-5 * std::fabs(ref[i])));
  return worst;
}
}  // namespace

int main(int argc, char** argv) {
  graft::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  std::vector<std::string> shapes;
  for (int i = 2; i < argc; ++i) shapes.push_back(argv[i]);
  if (shapes.empty()) shapes = {"64x784x9", "128x10x64", "32x32x32", "256", "512", "1024", "2048"};
  std::vector<Version> versions = {{"1 rows", graft::dev::gemm1_rows}, {"2 packed generic", packed_generic}};
  if (graft::detected_isa() == graft::Isa::Avx2) versions.push_back({"3 packed avx2 6x16", packed_avx2});
  if (graft::detected_avx512()) versions.push_back({"4 packed avx512 12x32", packed_avx512});
#ifdef GRAFT_DEV_OPENBLAS
  versions.push_back({"openblas", openblas});
#endif
  // GEMM_VERSIONS=4o keeps the versions whose names start with those characters ('o': openblas).
  if (const char* keep = std::getenv("GEMM_VERSIONS")) {
    const std::string wanted(keep);
    versions.erase(std::remove_if(versions.begin(), versions.end(),
                                  [&](const Version& v) { return wanted.find(v.name[0]) == std::string::npos; }),
                   versions.end());
  }
  std::printf("threads %d\n%-14s", graft::num_threads(), "shape");
  for (const Version& v : versions) std::printf(" %20s", v.name);
  std::printf("   (GFLOP/s)\n");
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const std::string& shape : shapes) {
    int64_t m = 0, n = 0, k = 0;
    if (std::sscanf(shape.c_str(), "%ldx%ldx%ld", &m, &n, &k) != 3) m = n = k = std::atol(shape.c_str());
    GemmParams p;
    p.m = m, p.n = n, p.k = k, p.lda = k, p.ldb = n, p.ldc = n;
    std::vector<float> a(m * k), b(k * n), ref(m * n);
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
    // The float64 reference takes most of a minute past N = 1024: larger shapes are timed, not checked.
    const bool check = m * n * k <= (int64_t(1) << 30);
    if (check) graft::ref::gemm(p, a.data(), b.data(), ref.data());
    std::printf("%-14s", shape.c_str());
    for (const Version& v : versions) {
      // The baselines take minutes at N >= 1024: skip them there.
      if (m * n * k > (int64_t(1) << 27) && (v.fn == graft::dev::gemm1_rows || v.fn == packed_generic)) {
        std::printf(" %20s", "-");
        continue;
      }
      std::vector<float> c(m * n, NAN);
      v.fn(p, a.data(), b.data(), c.data());
      const double err = check ? error_ratio(c, ref, k) : 0.0;
      const double s = seconds_per_call(v.fn, p, a.data(), b.data(), c.data());
      std::printf(" %15.1f%5s", 2.0 * m * n * k / s * 1e-9, err <= 1 ? "" : " BAD");
    }
    std::printf("\n");
  }
}
