/**
 * Softmax and log-softmax along one dim: x viewed as (outer, D, inner), one kernel each way.
 */
import { needsGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { normalizeDim, numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { checkFloat } from './elementwise.js';
import { contiguous } from './views.js';

function run(log: boolean, x: Tensor, dim: number): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  checkFloat(op, x);
  const d = x.ndim === 0 ? 0 : normalizeDim(op, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const inner = numel(x.shape.slice(d + 1));
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty(x.shape, { device: x.device });
  backend.softmax(log, xc, outer, size, inner, y);
  if (xc !== x) xc.dispose();
  if (!needsGrad(x)) return y;
  return record(op, y, [x], (gy, [sy]) => {
    const g = contiguous(gy);
    const dx = empty(sy.shape, { device: sy.device });
    backend.softmaxBackward(log, sy, g, outer, size, inner, dx);
    if (g !== gy) g.dispose();
    return [dx];
  }, [y]);
}

/**
 * exp(x) / sum(exp(x)) along `dim` (numerically stable).
 * @example
 * softmax(logits, -1);
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  return run(false, x, dim);
}

/**
 * x - log(sum(exp(x))) along `dim`.
 * @example
 * logSoftmax(logits, 1);
 */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return run(true, x, dim);
}
