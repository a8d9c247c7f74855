// Reference SGD step: param, grad, momentum_buffer (n); float64 arithmetic per element.
#include "graft/optim.h"

namespace graft::ref {

void sgd_step(const SgdArgs& a) {
  for (int64_t i = 0; i < a.n; ++i) {
    double d = a.maximize ? -static_cast<double>(a.grad[i]) : static_cast<double>(a.grad[i]);
    if (a.weight_decay != 0.0) d += a.weight_decay * a.param[i];
    if (a.momentum != 0.0) {
      const double buf = a.first_step ? d : a.momentum * a.momentum_buffer[i] + (1.0 - a.dampening) * d;
      a.momentum_buffer[i] = static_cast<float>(buf);
      d = a.nesterov ? d + a.momentum * buf : buf;
    }
    a.param[i] = static_cast<float>(a.param[i] - a.lr * d);
  }
}

}  // namespace graft::ref
