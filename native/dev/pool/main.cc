// max-pool sandbox: checks cpu::max_pool2d_forward against ref::max_pool2d_forward bit for bit
// (values and indices, inputs with ties and NaNs) on odd shapes, then prints milliseconds per call
// (best of POOL_ROUNDS, default 20) on the ResNet-18 stem pool and a few others.
//   native/dev/pool/run.sh [threads]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "graft/pool.h"
#include "graft/runtime.h"

namespace {
using graft::Pool2dParams;

Pool2dParams make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad, int64_t dil = 1,
                  bool ceil = false) {
  Pool2dParams p;
  p.n = n, p.c = c, p.h = h, p.w = w, p.kh = p.kw = k, p.stride_h = p.stride_w = stride, p.pad_h = p.pad_w = pad;
  p.dil_h = p.dil_w = dil, p.ceil_mode = ceil;
  return p;
}

// Values from a small set (many ties), with a NaN now and then.
std::vector<float> input(const Pool2dParams& p, std::mt19937& gen) {
  std::uniform_int_distribution<int> dist(-8, 8);
  std::vector<float> x(static_cast<size_t>(p.x_size()));
  for (auto& v : x) {
    const int d = dist(gen);
    v = d == 8 && gen() % 16 == 0 ? NAN : d * 0.25f;
  }
  return x;
}

// POOL_CLOCK=cpu times process CPU time (all threads): on a loaded machine it still compares work.
double now_ms() {
  static const bool cpu = std::getenv("POOL_CLOCK") && std::strcmp(std::getenv("POOL_CLOCK"), "cpu") == 0;
  timespec ts;
  clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

bool check(const Pool2dParams& p) {
  std::mt19937 gen(7);
  const auto x = input(p, gen);
  std::vector<float> y(p.y_size()), y_ref(p.y_size());
  std::vector<int32_t> i(p.y_size()), i_ref(p.y_size());
  graft::cpu::max_pool2d_forward(p, x.data(), y.data(), i.data());
  graft::ref::max_pool2d_forward(p, x.data(), y_ref.data(), i_ref.data());
  const bool same = std::memcmp(y.data(), y_ref.data(), y.size() * sizeof(float)) == 0 && i == i_ref;
  if (!same) std::printf("MISMATCH %s\n", p.describe().c_str());
  return same;
}

}  // namespace

int main() {
  const int rounds = std::getenv("POOL_ROUNDS") ? std::atoi(std::getenv("POOL_ROUNDS")) : 20;
  const Pool2dParams checks[] = {
      make(2, 3, 16, 16, 3, 2, 1), make(1, 1, 7, 9, 3, 2, 1),  make(3, 2, 11, 13, 2, 2, 0), make(2, 2, 9, 9, 3, 1, 1),
      make(1, 2, 10, 10, 3, 2, 1, 2), make(2, 3, 8, 8, 3, 2, 1, 1, true), make(1, 1, 5, 5, 5, 3, 2), make(1, 4, 1, 1, 3, 2, 1),
      make(2, 2, 13, 13, 3, 3, 0, 1, true), make(1, 3, 6, 17, 4, 2, 2),
  };
  for (const auto& p : checks)
    if (!check(p)) return 1;
  std::printf("threads %d\n", graft::num_threads());
  const Pool2dParams shapes[] = {make(64, 64, 16, 16, 3, 2, 1), make(64, 64, 112, 112, 3, 2, 1), make(128, 16, 28, 28, 2, 2, 0)};
  for (const auto& p : shapes) {
    if (!check(p)) return 1;
    std::mt19937 gen(1);
    const auto x = input(p, gen);
    std::vector<float> y(p.y_size());
    std::vector<int32_t> idx(p.y_size());
    double best = 1e30;
    for (int r = 0; r < rounds; ++r) {
      const double t0 = now_ms();
      graft::cpu::max_pool2d_forward(p, x.data(), y.data(), idx.data());
      best = std::min(best, now_ms() - t0);
    }
    std::printf("%-80s %8.3f ms\n", p.describe().c_str(), best);
  }
  return 0;
}
