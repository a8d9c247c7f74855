/**
 * Indexing along the middle dim of contiguous `(outer, n, inner)` views: select rows, gather per
 * element, their accumulating backward passes, and one-hot encoding. Every index is checked before
 * anything is written; an out-of-range index throws, naming its position.
 */
import { kernel, type Impl } from '../addon.js';

type RawSelect = (x: Float32Array, outer: number, n: number, inner: number, indices: Int32Array, y: Float32Array) => void;
type RawGather = (x: Float32Array, outer: number, n: number, inner: number, index: Int32Array, y: Float32Array, m: number) => void;
/**
 * Rows of `dx` (outer, n, inner) from its length. With outer * inner = 0 nothing is written and n cannot
 * be known, so only negative indices are rejected then.
 */
function destinationRows(op: string, dx: Float32Array, outer: number, inner: number): number {
  if (outer * inner === 0) return 2147483647;
  if (dx.length % (outer * inner) !== 0) {
    throw new RangeError(`${op}: argument 'dx' has ${dx.length} elements, not a multiple of outer*inner = ${outer * inner}`);
  }
  return dx.length / (outer * inner);
}

type RawAccumulate = (dy: Float32Array, outer: number, m: number, inner: number, index: Int32Array, dx: Float32Array, n: number) => void;

/**
 * `y[o, j, :] = x[o, indices[j], :]`: x (outer, n, inner) -> y (outer, m, inner), m = indices.length.
 * @example
 * // embedding lookup: table (4 words, dim 2), tokens [3, 0]
 * const table = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), y = new Float32Array(4);
 * indexSelect(table, 1, 4, 2, Int32Array.from([3, 0]), y); // y = [3, 3, 0, 0]
 */
export function indexSelect(
  x: Float32Array, outer: number, n: number, inner: number, indices: Int32Array, y: Float32Array, impl: Impl = 'cpu',
): void {
  kernel<RawSelect>('indexSelect', impl)(x, outer, n, inner, indices, y);
}

/**
 * `dx[o, indices[j], :] += dy[o, j, :]`: the backward of {@link indexSelect} and of an embedding.
 * dy (outer, m, inner), dx (outer, n, inner) with n = dx.length / (outer * inner). Additions to one
 * row happen in increasing j whatever the thread count (deterministic).
 * @example
 * const dx = new Float32Array(4);
 * indexAdd(Float32Array.from([1, 2, 3]), 1, 3, 1, Int32Array.from([1, 1, 3]), dx); // dx = [0, 3, 0, 3]
 */
export function indexAdd(
  dy: Float32Array, outer: number, m: number, inner: number, indices: Int32Array, dx: Float32Array, impl: Impl = 'cpu',
): void {
  const n = destinationRows('indexAdd', dx, outer, inner);
  kernel<RawAccumulate>('indexAdd', impl)(dy, outer, m, inner, indices, dx, n);
}

/**
 * `y[o, j, i] = x[o, index[o, j, i], i]`: x (outer, n, inner), index and y (outer, m, inner).
 * @example
 * // pick one class score per row of (2, 3) scores
 * const y = new Float32Array(2);
 * gather(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 1, Int32Array.from([2, 0]), y); // y = [3, 4]
 */
export function gather(
  x: Float32Array, outer: number, n: number, inner: number, index: Int32Array, y: Float32Array, impl: Impl = 'cpu',
): void {
  if (outer * inner !== 0 && index.length % (outer * inner) !== 0) {
    throw new RangeError(`gather: argument 'index' has ${index.length} elements, not a multiple of outer*inner = ${outer * inner}`);
  }
  const m = outer * inner === 0 ? 0 : index.length / (outer * inner);
  kernel<RawGather>('gather', impl)(x, outer, n, inner, index, y, m);
}

/**
 * `dx[o, index[o, j, i], i] += dy[o, j, i]`: the backward of {@link gather}. dx (outer, n, inner) with
 * n = dx.length / (outer * inner); deterministic order.
 * @example
 * const dx = new Float32Array(6);
 * scatterAdd(Float32Array.from([1, 1]), 2, 1, 1, Int32Array.from([2, 0]), dx); // dx = [0, 0, 1, 1, 0, 0]
 */
export function scatterAdd(
  dy: Float32Array, outer: number, m: number, inner: number, index: Int32Array, dx: Float32Array, impl: Impl = 'cpu',
): void {
  const n = destinationRows('scatterAdd', dx, outer, inner);
  kernel<RawAccumulate>('scatterAdd', impl)(dy, outer, m, inner, index, dx, n);
}

/**
 * `out (labels.length, classes)`: 1 at each label's class, 0 elsewhere.
 * @example
 * const out = new Float32Array(6);
 * oneHot(Int32Array.from([2, 0]), 3, out); // [0, 0, 1, 1, 0, 0]
 */
export function oneHot(labels: Int32Array, classes: number, out: Float32Array, impl: Impl = 'cpu'): void {
  kernel<(labels: Int32Array, classes: number, out: Float32Array) => void>('oneHot', impl)(labels, classes, out);
}
