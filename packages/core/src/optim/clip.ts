/**
 * Gradient clipping by total norm (torch.nn.utils.clip_grad_norm_).
 */
import { clipGradNorm as clipKernel } from '@graft/native';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Scales the gradients of `params` in place so their total `normType`-norm is at most `maxNorm`
 * (factor maxNorm / (total + 1e-6) when below 1). Parameters without a gradient are skipped.
 * Returns the total norm before clipping.
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0) || !Number.isFinite(maxNorm)) throw new Error(`clipGradNorm: argument 'maxNorm' must be a finite number >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm: argument 'normType' must be > 0 or Infinity, got ${normType}`);
  const grads: Float32Array[] = [];
  for (const p of params) {
    if (p.grad === null) continue;
    if (!p.grad.isContiguous()) throw new Error('clipGradNorm: a gradient is not packed');
    grads.push(p.grad.dataSync());
  }
  if (grads.length === 0) return 0;
  return clipKernel(grads, maxNorm, normType);
}
