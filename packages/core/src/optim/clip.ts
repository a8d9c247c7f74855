/**
 * Gradient clipping by total norm (torch.nn.utils.clip_grad_norm_).
 */
import { clipGradNorm as clipKernel, cudaClipGradNorm, type DeviceSlice } from '@graft/native';
import { storageSlice } from '../tensor/transfer.js';
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
  const grads: Tensor[] = [];
  for (const p of params) {
    if (p.grad === null) continue;
    if (!p.grad.isContiguous()) throw new Error('clipGradNorm: a gradient is not packed');
    if (grads.length > 0 && p.grad.device !== grads[0].device) {
      throw new Error(`clipGradNorm: tensors are on different devices (${grads[0].device}, ${p.grad.device})`);
    }
    grads.push(p.grad);
  }
  if (grads.length === 0) return 0;
  if (grads[0].device === 'cpu') return clipKernel(grads.map((g) => g.dataSync()), maxNorm, normType);
  // On a GPU the norm is reduced on the device and read back (the one wait of this call).
  const slices: DeviceSlice[] = grads.map((g) => storageSlice(g, g.offset, g.numel));
  return cudaClipGradNorm(slices, maxNorm, normType);
}
