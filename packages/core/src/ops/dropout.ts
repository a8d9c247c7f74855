/**
 * Dropout with the native Philox generator: the same seed gives the same mask on every machine and
 * thread count. The mask (uint8) is saved for backward.
 */
import { needsGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, nextRandom } from './creation.js';
import { checkFloat } from './elementwise.js';
import { contiguous } from './views.js';

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Drop only in training (default true); otherwise dropout returns its input. */
  training?: boolean;
  /** Seed for this call; default: the global generator (see `manualSeed`). */
  seed?: number;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p).
 * @example
 * dropout(h, 0.5, { training: true, seed: 3 });
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  checkFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1] (got ${p})`);
  if (options.training === false || p === 0) return x;
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty(x.shape, { device: x.device });
  const mask = empty(x.shape, { dtype: 'uint8', device: x.device });
  const { seed, offset } = nextRandom(x.numel, options.seed);
  backend.dropout(xc, y, mask, p, seed, offset);
  if (xc !== x) xc.dispose();
  if (needsGrad(x)) {
    record('dropout', y, [x], (gy, [sm]) => {
      const g = contiguous(gy);
      const dx = empty(g.shape, { device: g.device });
      backend.dropoutBackward(g, sm, p, dx);
      if (g !== gy) g.dispose();
      return [dx];
    }, [mask]);
  }
  mask.dispose();
  return y;
}
