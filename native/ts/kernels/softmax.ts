/**
 * Softmax and log-softmax over the middle dim of a contiguous `(outer, d, inner)` view, and their
 * backward passes (which take the forward output). Numerically stable: the max is subtracted first.
 */
import { kernel, type Impl } from '../addon.js';

type RawForward = (x: Float32Array, outer: number, d: number, inner: number, y: Float32Array) => void;
type RawBackward = (y: Float32Array, dy: Float32Array, outer: number, d: number, inner: number, dx: Float32Array) => void;

/**
 * `y = exp(x) / sum_d exp(x)` along `d`.
 * @example
 * const y = new Float32Array(2);
 * softmax(Float32Array.from([0, 0]), 1, 2, 1, y); // y = [0.5, 0.5]
 */
export function softmax(x: Float32Array, outer: number, d: number, inner: number, y: Float32Array, impl: Impl = 'cpu'): void {
  kernel<RawForward>('softmax', impl)(x, outer, d, inner, y);
}

/**
 * `y = x - log(sum_d exp(x))` along `d`.
 * @example
 * const y = new Float32Array(2);
 * logSoftmax(Float32Array.from([0, 0]), 1, 2, 1, y); // y = [-0.693, -0.693]
 */
export function logSoftmax(x: Float32Array, outer: number, d: number, inner: number, y: Float32Array, impl: Impl = 'cpu'): void {
  kernel<RawForward>('logSoftmax', impl)(x, outer, d, inner, y);
}

/**
 * Softmax backward from its output `y`: `dx = y * (dy - sum_d(dy * y))`.
 * @example
 * const dx = new Float32Array(2);
 * softmaxBackward(Float32Array.from([0.5, 0.5]), Float32Array.from([1, 0]), 1, 2, 1, dx); // [0.25, -0.25]
 */
export function softmaxBackward(
  y: Float32Array, dy: Float32Array, outer: number, d: number, inner: number, dx: Float32Array, impl: Impl = 'cpu',
): void {
  kernel<RawBackward>('softmaxBackward', impl)(y, dy, outer, d, inner, dx);
}

/**
 * Log-softmax backward from its output `y`: `dx = dy - exp(y) * sum_d(dy)`.
 * @example
 * const dx = new Float32Array(2);
 * logSoftmaxBackward(Float32Array.from([-0.693, -0.693]), Float32Array.from([1, 0]), 1, 2, 1, dx); // [0.5, -0.5]
 */
export function logSoftmaxBackward(
  y: Float32Array, dy: Float32Array, outer: number, d: number, inner: number, dx: Float32Array, impl: Impl = 'cpu',
): void {
  kernel<RawBackward>('logSoftmaxBackward', impl)(y, dy, outer, d, inner, dx);
}
