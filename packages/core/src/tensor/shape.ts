/**
 * Shape bookkeeping: element counts, strides, broadcasting and dimension normalisation.
 * Nothing here touches data.
 */

/** A tensor's sizes, outermost first. */
export type Shape = readonly number[];

/**
 * `[2, 3]` as a string, for error messages.
 * @example
 * shapeString([2, 3]); // '[2, 3]'
 */
export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Number of elements.
 * @example
 * numel([2, 3]); // 6
 */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides of a packed tensor.
 * @example
 * contiguousStrides([2, 3, 4]); // [12, 4, 1]
 */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Whether `strides` describe a packed row-major layout of `shape` (size-1 dims may have any stride).
 * @example
 * isContiguous([2, 3], [3, 1]); // true
 */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * Checks a shape: integers >= 0.
 * @example
 * checkShape('zeros', [2, 3]);
 */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${shapeString(shape)} (sizes must be integers >= 0)`);
  }
}

/**
 * The broadcast shape of two shapes (numpy rules), or an error naming the op and both shapes.
 * @example
 * broadcastShapes('add', [2, 1], [3]); // [2, 3]
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: cannot broadcast ${shapeString(a)} with ${shapeString(b)}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if it had `target` shape (stride 0 on broadcast dims).
 * @example
 * broadcastStrides([3], [1], [2, 3]); // [0, 1]
 */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

/**
 * A dim index in [0, ndim), accepting negative dims counted from the end.
 * @example
 * normalizeDim('sum', -1, 3); // 2
 */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  if (!Number.isInteger(dim) || dim < -ndim || dim >= Math.max(ndim, 1)) {
    throw new Error(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dims`);
  }
  return dim < 0 ? dim + ndim : dim;
}

/**
 * Normalised, sorted, de-duplicated dims; `undefined` means every dim.
 * @example
 * normalizeDims('sum', [-1, 0], 3); // [0, 2]
 */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = [...new Set(list.map((d) => normalizeDim(op, d, ndim)))];
  return out.sort((x, y) => x - y);
}

/**
 * Whether two shapes are equal.
 * @example
 * sameShape([2, 3], [2, 3]); // true
 */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
