/**
 * Helpers over many tensors' gradients.
 */
import type { Tensor } from '../tensor/tensor.js';

/**
 * Frees the `.grad` of every tensor (sets it to null), as before each optimizer step.
 * @example
 * zeroGrad(model.parameters());
 */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.zeroGrad();
}
