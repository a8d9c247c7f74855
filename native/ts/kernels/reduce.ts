/**
 * Reductions over the middle dim of a contiguous `(outer, r, inner)` view into `(outer, inner)`.
 * Sums accumulate in double in a fixed order, so results never depend on the thread count.
 */
import { kernel, type Impl } from '../addon.js';

/** Value reductions of {@link reduce}. */
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'prod';
/** Index reductions of {@link argReduce}. */
export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * `y[o, i] = op_k x[o, k, i]`. With `r = 0`: sum gives 0, prod 1, mean NaN, max/min throw.
 * max/min propagate NaN.
 * @example
 * const x = Float32Array.from([1, 2, 3, 4, 5, 6]), y = new Float32Array(3);
 * reduce('sum', x, 1, 2, 3, y); // column sums of a (2, 3) matrix: [5, 7, 9]
 */
export function reduce(
  op: ReduceOp, x: Float32Array, outer: number, r: number, inner: number, y: Float32Array, impl: Impl = 'cpu',
): void {
  kernel<(op: ReduceOp, x: Float32Array, outer: number, r: number, inner: number, y: Float32Array) => void>(
    'reduce', impl)(op, x, outer, r, inner, y);
}

/**
 * Index of the largest / smallest value along `r` (first on ties; a NaN wins, as in PyTorch). Throws when `r = 0`.
 * @example
 * const y = new Int32Array(2);
 * argReduce('argmax', Float32Array.from([1, 9, 3, 7, 7, 2]), 2, 3, 1, y); // y = [1, 0]
 */
export function argReduce(
  op: ArgReduceOp, x: Float32Array, outer: number, r: number, inner: number, y: Int32Array, impl: Impl = 'cpu',
): void {
  kernel<(op: ArgReduceOp, x: Float32Array, outer: number, r: number, inner: number, y: Int32Array) => void>(
    'argReduce', impl)(op, x, outer, r, inner, y);
}
