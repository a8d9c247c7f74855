// CPU SGD step: param, grad, momentum_buffer (n); float32 in torch.optim.SGD's operation order.
#include "graft/optim.h"
#include "graft/runtime.h"

namespace graft::cpu {

void sgd_step(const SgdArgs& a) {
  const float lr = static_cast<float>(a.lr), wd = static_cast<float>(a.weight_decay);
  const float mom = static_cast<float>(a.momentum), keep = static_cast<float>(1.0 - a.dampening);
  const bool use_wd = a.weight_decay != 0.0, use_mom = a.momentum != 0.0;
  parallel_for(0, a.n, 16384, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float d = a.maximize ? -a.grad[i] : a.grad[i];
      if (use_wd) d = d + wd * a.param[i];
      if (use_mom) {
        const float buf = a.first_step ? d : a.momentum_buffer[i] * mom + keep * d;
        a.momentum_buffer[i] = buf;
        d = a.nesterov ? d + mom * buf : buf;
      }
      a.param[i] = a.param[i] - lr * d;
    }
  });
}

}  // namespace graft::cpu
