// CPU gradient norms and clipping: each grad g_k (sizes[k]). Reductions run over fixed 8192-element
// blocks in parallel; block partials (double) are combined in block order, so the result does not
// depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/norm_reduce.h"
#include "graft/optim.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

constexpr int64_t kBlock = 8192;

// Reduces x (n) by fixed blocks: block(lo, hi) gives a partial; partials are combined in block order.
template <typename BlockFn, typename Combine>
double blocked_reduce(int64_t n, double init, BlockFn block, Combine combine) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks));
  parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) partial[b] = block(b * kBlock, std::min(n, (b + 1) * kBlock));
  });
  double total = init;
  for (double p : partial) total = combine(total, p);
  return total;
}

double norm_partial(const float* x, int64_t n, double norm_type) {
  if (std::isinf(norm_type))
    return blocked_reduce(n, 0.0, [&](int64_t lo, int64_t hi) {
      float m = 0.0f;
      for (int64_t i = lo; i < hi; ++i) m = std::max(m, std::fabs(x[i]));
      return static_cast<double>(m);
    }, [](double a, double b) { return std::max(a, b); });
  if (norm_type == 2.0) return sum_of_squares(x, n);
  return blocked_reduce(n, 0.0, [&](int64_t lo, int64_t hi) {
    double s = 0.0;
    for (int64_t i = lo; i < hi; ++i) s += std::pow(std::fabs(static_cast<double>(x[i])), norm_type);
    return s;
  }, [](double a, double b) { return a + b; });
}

}  // namespace

double sum_of_squares(const float* x, int64_t n) {
  return blocked_reduce(n, 0.0, [&](int64_t lo, int64_t hi) {
    return norm_reduce::sum_sq_dev(x + lo, hi - lo, 0.0);
  }, [](double a, double b) { return a + b; });
}

double clip_grad_norm(float* const* grads, const int64_t* sizes, int64_t count, double max_norm, double norm_type) {
  double total = 0.0;
  const bool inf = std::isinf(norm_type);
  for (int64_t k = 0; k < count; ++k) {
    const double part = norm_partial(grads[k], sizes[k], norm_type);
    total = inf ? std::max(total, part) : total + part;
  }
  if (!inf) total = std::pow(total, 1.0 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef >= 1.0) return total;  // torch multiplies by clamp(coef, max=1): a no-op here (NaN scales)
  const float scale = static_cast<float>(coef);
  for (int64_t k = 0; k < count; ++k) {
    float* g = grads[k];
    parallel_for(0, sizes[k], 16384, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) g[i] *= scale;
    });
  }
  return total;
}

}  // namespace graft::cpu
