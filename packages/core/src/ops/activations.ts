/**
 * Activations, each one unary kernel forward and one unary-backward kernel for the gradient.
 */
import type { Tensor } from '../tensor/tensor.js';
import { unary } from './elementwise.js';

/**
 * max(0, x).
 * @example
 * relu(x);
 */
export function relu(x: Tensor): Tensor {
  return unary('relu', x);
}

/**
 * x for x > 0, slope * x otherwise.
 * @example
 * leakyRelu(x, 0.2);
 */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return unary('leakyRelu', x, { alpha: slope });
}

/**
 * GELU: x * Phi(x) (`approximate: 'tanh'` uses the tanh formula).
 * @example
 * gelu(x);
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return approximate === 'tanh' ? unary('geluTanh', x, {}, 'gelu') : unary('gelu', x);
}

/**
 * x * sigmoid(x) (swish).
 * @example
 * silu(x);
 */
export function silu(x: Tensor): Tensor {
  return unary('silu', x);
}

/**
 * 1 / (1 + e^-x).
 * @example
 * sigmoid(logits);
 */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x);
}

/**
 * Hyperbolic tangent.
 * @example
 * tanh(x);
 */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x);
}
