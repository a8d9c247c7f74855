/**
 * Reductions over any set of dims (one kernel call when the dims are adjacent, else after a permute
 * copy), arg-reductions, variance and standard deviation, and `sumTo` (the broadcast gradient).
 */
import { noGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { normalizeDim, normalizeDims, numel, sameShape, shapeString, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { binaryRaw, checkFloat, unary } from './elementwise.js';
import { contiguous, expand, permute, reshape } from './views.js';
import type { ReduceOpName, ReduceOptions } from './types.js';

/** Options of {@link variance} and {@link std}. */
export interface VarOptions extends ReduceOptions {
  /** Subtracted from the count in the divisor: 1 (default) is the unbiased estimate, 0 the population one. */
  correction?: number;
}

function keptShape(shape: Shape, dims: readonly number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function outShape(shape: Shape, dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/** y = op over `dims` (sorted, unique) of x, shaped as requested; no gradient. */
function reduceRaw(op: ReduceOpName, x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  const shape = outShape(x.shape, dims, keepdim);
  if (dims.length === 0) return noGrad(() => contiguous(x, true).reshape(shape));
  const r = dims.reduce((p, d) => p * x.shape[d], 1);
  if ((op === 'max' || op === 'min') && r === 0) {
    throw new Error(`${op}: cannot reduce over zero-size dims ${shapeString(dims)} of shape ${shapeString(x.shape)}`);
  }
  const adjacent = dims[dims.length - 1] - dims[0] === dims.length - 1;
  const y = empty(shape, { device: x.device });
  noGrad(() => {
    let src: Tensor;
    let outer: number;
    let inner: number;
    if (adjacent) {
      src = contiguous(x);
      outer = numel(x.shape.slice(0, dims[0]));
      inner = numel(x.shape.slice(dims[dims.length - 1] + 1));
    } else {
      const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
      const moved = permute(x, [...kept, ...dims]);
      src = contiguous(moved, true);
      moved.dispose();
      outer = numel(kept.map((i) => x.shape[i]));
      inner = 1;
    }
    backendFor(x.device).reduce(op, src, outer, r, inner, y);
    if (src !== x) src.dispose();
  });
  return y;
}

/** The gradient `gy` (reduced shape) broadcast back to `shape` as a stride-0 view. */
function expandBack(gy: Tensor, shape: Shape, dims: readonly number[]): Tensor {
  const kept = reshape(gy, keptShape(shape, dims));
  const out = expand(kept, shape);
  kept.dispose();
  return out;
}

/**
 * Sums `g` over the dims that broadcasting added or stretched so it has `shape` (the gradient of a
 * broadcast). Returns a new handle (an alias when nothing is summed).
 * @example
 * sumTo(gradOfSum, bias.shape);
 */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g.alias();
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce ${shapeString(g.shape)} to ${shapeString(shape)}`);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const summed = reduceRaw('sum', g, dims, true);
  const out = noGrad(() => reshape(summed, shape));
  if (out !== summed) summed.dispose();
  return out;
}

function prepare(op: string, x: Tensor, dim: number | readonly number[] | undefined): number[] {
  checkFloat(op, x);
  return normalizeDims(op, dim, x.ndim);
}

/**
 * Sum over `dim` (all dims when omitted).
 * @example
 * sum(x); sum(x, 1, { keepdim: true });
 */
export function sum(x: Tensor, dim?: number | readonly number[], options?: ReduceOptions): Tensor {
  const dims = prepare('sum', x, dim);
  const y = reduceRaw('sum', x, dims, options?.keepdim ?? false);
  const xs = x.shape;
  return record('sum', y, [x], (gy) => [expandBack(gy, xs, dims)]);
}

/**
 * Mean over `dim` (all dims when omitted); NaN over zero elements.
 * @example
 * mean(x, [2, 3]);
 */
export function mean(x: Tensor, dim?: number | readonly number[], options?: ReduceOptions): Tensor {
  const dims = prepare('mean', x, dim);
  const y = reduceRaw('mean', x, dims, options?.keepdim ?? false);
  const xs = x.shape;
  const count = dims.reduce((p, d) => p * xs[d], 1);
  return record('mean', y, [x], (gy) => {
    const g = contiguous(gy);
    const scaled = unary('affine', g, { alpha: 1 / count, beta: 0 });
    if (g !== gy) g.dispose();
    const out = expandBack(scaled, xs, dims);
    scaled.dispose();
    return [out];
  });
}

function extremum(op: 'max' | 'min', x: Tensor, dim: number | readonly number[] | undefined, options?: ReduceOptions): Tensor {
  const dims = prepare(op, x, dim);
  const y = reduceRaw(op, x, dims, options?.keepdim ?? false);
  const xs = x.shape;
  // Ties share the gradient equally, so the gradient is the same whichever index the kernel picks.
  return record(op, y, [x], (gy, [sx, sy]) => {
    const ye = expandBack(sy, xs, dims);
    const mask = binaryRaw('eq', sx, ye);
    ye.dispose();
    const count = reduceRaw('sum', mask, dims, true);
    const gk = reshape(gy, keptShape(xs, dims));
    const share = binaryRaw('div', gk, count);
    const g = binaryRaw('mul', mask, share);
    [mask, count, gk, share].forEach((t) => t.dispose());
    return [g];
  }, [x, y]);
}

/**
 * Maximum over `dim` (all dims when omitted). Use `argmax` for the indices.
 * @example
 * max(logits, 1);
 */
export function max(x: Tensor, dim?: number | readonly number[], options?: ReduceOptions): Tensor {
  return extremum('max', x, dim, options);
}

/**
 * Minimum over `dim` (all dims when omitted).
 * @example
 * min(x);
 */
export function min(x: Tensor, dim?: number | readonly number[], options?: ReduceOptions): Tensor {
  return extremum('min', x, dim, options);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, options?: ReduceOptions): Tensor {
  checkFloat(op, x);
  const keepdim = options?.keepdim ?? false;
  let outer = 1;
  let r = x.numel;
  let inner = 1;
  let shape: number[] = keepdim ? x.shape.map(() => 1) : [];
  if (dim !== undefined) {
    const d = normalizeDim(op, dim, x.ndim);
    outer = numel(x.shape.slice(0, d));
    r = x.ndim === 0 ? 1 : x.shape[d];
    inner = numel(x.shape.slice(d + 1));
    shape = outShape(x.shape, [d], keepdim);
  }
  if (r === 0) throw new Error(`${op}: cannot reduce over a zero-size dim (shape ${shapeString(x.shape)})`);
  const y = empty(shape, { dtype: 'int32', device: x.device });
  const src = contiguous(x);
  backendFor(x.device).argReduce(op, src, outer, r, inner, y);
  if (src !== x) src.dispose();
  return y;
}

/**
 * Index of the maximum along `dim` (of the flattened tensor when omitted), int32; first index on ties.
 * @example
 * argmax(logits, 1); // predicted classes
 */
export function argmax(x: Tensor, dim?: number, options?: ReduceOptions): Tensor {
  return argReduce('argmax', x, dim, options);
}

/**
 * Index of the minimum along `dim`, int32.
 * @example
 * argmin(distances, 1);
 */
export function argmin(x: Tensor, dim?: number, options?: ReduceOptions): Tensor {
  return argReduce('argmin', x, dim, options);
}

/**
 * Variance over `dim`: sum((x - mean)^2) / (count - correction), correction 1 by default.
 * @example
 * variance(x, 0, { correction: 0 });
 */
export function variance(x: Tensor, dim?: number | readonly number[], options?: VarOptions): Tensor {
  const dims = prepare('var', x, dim);
  const count = dims.reduce((p, d) => p * x.shape[d], 1);
  const divisor = Math.max(0, count - (options?.correction ?? 1));
  const m = mean(x, dims, { keepdim: true });
  const d = x.sub(m);
  const sq = d.mul(d);
  const s = sum(sq, dims, { keepdim: options?.keepdim ?? false });
  const v = s.div(divisor);
  [m, d, sq, s].forEach((t) => t.dispose());
  return v;
}

/**
 * Standard deviation over `dim` (square root of {@link variance}).
 * @example
 * std(x, [0, 2, 3]);
 */
export function std(x: Tensor, dim?: number | readonly number[], options?: VarOptions): Tensor {
  const v = variance(x, dim, options);
  const s = v.sqrt();
  v.dispose();
  return s;
}
