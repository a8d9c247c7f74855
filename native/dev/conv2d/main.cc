// conv2d sandbox: validates each version against ref::conv2d_* on a small shape and against
// version 1 on every timed shape, then prints milliseconds (best of CONV_ROUNDS interleaved rounds,
// default 5) and GFLOP/s for forward, backward-data and backward-weight.
//   native/dev/conv2d/run.sh [threads]
// CONV_SET=resnet18 times version 1 alone on the layers of torchvision ResNet-18 on 3x32x32 at batch 64
// (CONV_LAYER=i: the i-th of them only; CONV_CHECK=1: each checked against ref first);
// CONV_SHAPE=n,c,hw,k,r,stride,pad times one square shape with version 1.
// Versions: 1 = src/cpu/conv2d.cc (whole images per thread for small GEMMs, else chunks of the batch
//               with threads inside im2col and GEMM; weight gradient in shape-fixed parts),
//           2 = conv2_images.cc (parallel over images, serial GEMM per image, partial dw sums).
#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "graft/conv2d.h"
#include "graft/runtime.h"

namespace graft::dev {
void conv2_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);
void conv2_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void conv2_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias);
}  // namespace graft::dev

namespace {
using graft::Conv2dParams;

struct Version {
  const char* name;
  void (*fwd)(const Conv2dParams&, const float*, const float*, const float*, float*);
  void (*bwd_data)(const Conv2dParams&, const float*, const float*, float*);
  void (*bwd_weight)(const Conv2dParams&, const float*, const float*, float*, float*);
};
const Version versions[] = {
    {"1 src", graft::cpu::conv2d_forward, graft::cpu::conv2d_backward_data, graft::cpu::conv2d_backward_weight},
    {"2 images", graft::dev::conv2_forward, graft::dev::conv2_backward_data, graft::dev::conv2_backward_weight},
};

std::vector<float> random_vector(int64_t n, std::mt19937& gen) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(gen);
  return v;
}

double max_error(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / (1.0 + std::fabs(b[i])));
  return worst;
}

// CONV_CLOCK=cpu times process CPU time (all threads) instead of wall time: on a loaded shared
// machine it still compares how much work two versions do, though not how well they use the threads.
double now_ms() {
  static const bool cpu = std::getenv("CONV_CLOCK") && std::string(std::getenv("CONV_CLOCK")) == "cpu";
  timespec ts;
  clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

template <typename Fn>
double best_ms(Fn fn, int rounds) {
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = now_ms();
    fn();
    best = std::min(best, now_ms() - t0);
  }
  return best;
}

Conv2dParams make(int64_t n, int64_t c, int64_t hw, int64_t k, int64_t r, int64_t stride, int64_t pad) {
  Conv2dParams p;
  p.n = n, p.c = c, p.h = p.w = hw, p.k = k, p.r = p.s = r, p.stride_h = p.stride_w = stride, p.pad_h = p.pad_w = pad;
  return p;
}

// Runs every pass of every version; returns false when a version disagrees with the baseline.
bool run_shape(const Conv2dParams& p, const std::vector<const Version*>& baseline_first, bool print, int rounds) {
  std::mt19937 gen(42);
  auto x = random_vector(p.x_size(), gen), w = random_vector(p.w_size(), gen), dy = random_vector(p.y_size(), gen);
  std::vector<std::vector<float>> outs;
  for (const Version* v : baseline_first) {
    std::vector<float> y(p.y_size()), dx(p.x_size()), dw(p.w_size());
    const double f = best_ms([&] { v->fwd(p, x.data(), w.data(), nullptr, y.data()); }, rounds);
    const double d = best_ms([&] { v->bwd_data(p, dy.data(), w.data(), dx.data()); }, rounds);
    const double g = best_ms([&] { v->bwd_weight(p, x.data(), dy.data(), dw.data(), nullptr); }, rounds);
    if (outs.empty()) {
      outs = {y, dx, dw};
    } else {
      const double e = std::max({max_error(y, outs[0]), max_error(dx, outs[1]), max_error(dw, outs[2])});
      if (e > 1e-3) return std::printf("%s: error %.3g against %s\n", v->name, e, baseline_first[0]->name), false;
    }
    const double gf = 2.0 * p.n * p.k * p.p() * p.q() * p.cg() * p.r * p.s / 1e6;
    if (print)
      std::printf("%-60s %-9s fwd %8.2f ms %6.1f GF/s | bwd-data %8.2f ms %6.1f | bwd-weight %8.2f ms %6.1f\n",
                  p.describe().c_str(), v->name, f, gf / f, d, gf / d, g, gf / g);
  }
  return true;
}

}  // namespace

int main() {
  const int rounds = std::getenv("CONV_ROUNDS") ? std::atoi(std::getenv("CONV_ROUNDS")) : 5;
  const Version ref = {"ref", graft::ref::conv2d_forward, graft::ref::conv2d_backward_data, graft::ref::conv2d_backward_weight};
  std::vector<const Version*> with_ref = {&ref};
  for (const auto& v : versions) with_ref.push_back(&v);
  if (!run_shape(make(3, 5, 11, 7, 3, 2, 1), with_ref, false, 1)) return 1;
  std::vector<const Version*> all;
  for (const auto& v : versions) all.push_back(&v);
  std::printf("threads %d\n", graft::num_threads());
  if (const char* one = std::getenv("CONV_SHAPE")) {  // "n,c,hw,k,r,stride,pad": time that shape alone
    long long n, c, hw, k, r, stride, pad;
    if (std::sscanf(one, "%lld,%lld,%lld,%lld,%lld,%lld,%lld", &n, &c, &hw, &k, &r, &stride, &pad) != 7)
      return std::printf("CONV_SHAPE must be n,c,hw,k,r,stride,pad, got '%s'\n", one), 1;
    const Conv2dParams p = make(n, c, hw, k, r, stride, pad);
    if (std::getenv("CONV_CHECK") && !run_shape(p, with_ref, false, 1)) return 1;
    return run_shape(p, {&versions[0]}, true, rounds) ? 0 : 1;
  }
  const char* set = std::getenv("CONV_SET");
  if (set && std::string(set) == "resnet18") {
    // Every distinct conv of ResNet-18 on 32x32 inputs; 3x3 layers on 1x1 maps run as their centre tap.
    const Conv2dParams layers[] = {
        make(64, 3, 32, 64, 7, 2, 3),    make(64, 64, 8, 64, 3, 1, 1),    make(64, 64, 8, 128, 3, 2, 1),
        make(64, 64, 8, 128, 1, 2, 0),   make(64, 128, 4, 128, 3, 1, 1),  make(64, 128, 4, 256, 3, 2, 1),
        make(64, 128, 4, 256, 1, 2, 0),  make(64, 256, 2, 256, 3, 1, 1),  make(64, 256, 2, 512, 3, 2, 1),
        make(64, 256, 2, 512, 1, 2, 0),  make(64, 512, 1, 512, 3, 1, 1),
    };
    const std::vector<const Version*> src = {&versions[0]};
    const int only = std::getenv("CONV_LAYER") ? std::atoi(std::getenv("CONV_LAYER")) : -1;  // one layer's index
    for (int i = 0; i < int(sizeof(layers) / sizeof(layers[0])); ++i)
      if (only < 0 || i == only) {
        if (std::getenv("CONV_CHECK") && !run_shape(layers[i], with_ref, false, 1)) return 1;  // slow: ref is naive
        if (!run_shape(layers[i], src, true, rounds)) return 1;
      }
    return 0;
  }
  const Conv2dParams shapes[] = {
      make(128, 1, 28, 16, 3, 1, 1), make(128, 16, 28, 16, 3, 1, 1), make(128, 16, 28, 32, 3, 2, 1),
      make(128, 32, 14, 32, 3, 1, 1), make(128, 32, 14, 64, 3, 2, 1), make(128, 64, 7, 64, 3, 1, 1),
      make(128, 16, 28, 32, 1, 2, 0), make(4, 3, 224, 64, 7, 2, 3), make(4, 64, 56, 64, 3, 1, 1),
      make(4, 256, 14, 256, 3, 1, 1), make(4, 512, 7, 512, 3, 1, 1),
  };
  for (const auto& p : shapes)
    if (!run_shape(p, all, true, rounds)) return 1;
  return 0;
}
