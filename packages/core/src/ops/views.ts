/**
 * Views: new shape/strides/offset over the same storage (no copy), each with its gradient.
 * `contiguous` is the one op here that copies, and only when the layout requires it.
 */
import { record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { contiguousStrides, normalizeDim, numel, shapeString, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, zeros } from './creation.js';
import { sumTo } from './reduce.js';
import type { SliceSpec } from './types.js';

function makeView(x: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  return new Tensor(x.storage.retain(), shape, strides, offset);
}

/**
 * `x` itself when packed (and not `force`), else a packed copy. Differentiable.
 * @example
 * const packed = x.transpose(0, 1).contiguous();
 */
export function contiguous(x: Tensor, force = false): Tensor {
  x.assertAlive('contiguous');
  if (!force && x.isContiguous()) return x;
  const y = empty(x.shape, { dtype: x.dtype, device: x.device });
  backendFor(x.device).copy(x, y);
  return record('contiguous', y, [x], (gy) => [gy.alias()]);
}

/** Resolves one -1 and checks the element count. */
function resolveShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = [...shape];
  let infer = -1;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === -1) {
      if (infer >= 0) throw new Error(`${op}: only one dim can be -1 (got ${shapeString(shape)})`);
      infer = i;
    } else if (!Number.isInteger(out[i]) || out[i] < 0) {
      throw new Error(`${op}: invalid size ${out[i]} in ${shapeString(shape)}`);
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known === 0 || x.numel % known !== 0) {
      throw new Error(`${op}: cannot reshape tensor of shape ${shapeString(x.shape)} (${x.numel} elements) into ${shapeString(shape)}`);
    }
    out[infer] = x.numel / known;
  }
  if (numel(out) !== x.numel) {
    throw new Error(`${op}: cannot reshape tensor of shape ${shapeString(x.shape)} (${x.numel} elements) into ${shapeString(shape)}`);
  }
  return out;
}

/** Strides that read the same elements in `newShape`, or null when a copy is needed (as in PyTorch). */
function viewStrides(oldShape: Shape, oldStrides: readonly number[], newShape: Shape): number[] | null {
  if (oldShape.length === 0 || numel(oldShape) === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? newStrides : null;
}

function reshapeImpl(op: string, x: Tensor, shape: readonly number[], allowCopy: boolean): Tensor {
  x.assertAlive(op);
  const target = resolveShape(op, x, shape);
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides === null) {
    if (!allowCopy) {
      throw new Error(`${op}: shape ${shapeString(target)} is not compatible with the strides of the input (shape ${shapeString(x.shape)}, strides ${shapeString(x.strides)}); use reshape() or contiguous()`);
    }
    const packed = contiguous(x);
    const out = reshapeImpl(op, packed, target, false);
    if (packed !== x) packed.dispose();
    return out;
  }
  const xShape = x.shape;
  return record(op, makeView(x, target, strides, x.offset), [x], (gy) => [reshape(gy, xShape)]);
}

/**
 * Same elements in a new shape (one dim may be -1); a view when the layout allows, else a copy.
 * @example
 * arange(6).reshape([2, 3]);
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return reshapeImpl('reshape', x, shape, true);
}

/**
 * Same elements in a new shape, always a view; throws when the strides do not allow one.
 * @example
 * x.view([-1, 4]);
 */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  return reshapeImpl('view', x, shape, false);
}

/**
 * Reorders dims (a view).
 * @example
 * x.permute([0, 2, 3, 1]); // NCHW -> NHWC
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  x.assertAlive('permute');
  const n = x.ndim;
  if (dims.length !== n) throw new Error(`permute: got ${dims.length} dims ${shapeString(dims)} for a tensor of shape ${shapeString(x.shape)}`);
  const seen = new Array<boolean>(n).fill(false);
  const order = dims.map((d) => normalizeDim('permute', d, n));
  for (const d of order) {
    if (seen[d]) throw new Error(`permute: dims ${shapeString(dims)} repeat a dim`);
    seen[d] = true;
  }
  const inverse = new Array<number>(n);
  order.forEach((d, i) => (inverse[d] = i));
  const out = makeView(x, order.map((d) => x.shape[d]), order.map((d) => x.strides[d]), x.offset);
  return record('permute', out, [x], (gy) => [permute(gy, inverse)]);
}

/**
 * Swaps two dims (a view).
 * @example
 * w.transpose(0, 1);
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const n = x.ndim;
  const a = normalizeDim('transpose', dim0, n);
  const b = normalizeDim('transpose', dim1, n);
  const order = Array.from({ length: n }, (_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

/** Writes `gy` into the region of a zero tensor of `shape` that `region` selects (slice/select backward). */
function scatterIntoZeros(gy: Tensor, shape: Shape, region: (z: Tensor) => Tensor): Tensor {
  const z = zeros(shape, { device: gy.device });
  const target = region(z);
  backendFor(gy.device).copy(gy, target);
  target.dispose();
  return z;
}

function sliceBounds(op: string, size: number, start: number | undefined, end: number | undefined, step: number): [number, number] {
  if (!Number.isInteger(step) || step <= 0) throw new Error(`${op}: step must be a positive integer (got ${step})`);
  const clampIndex = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const lo = start === undefined ? 0 : clampIndex(start);
  const hi = end === undefined ? size : clampIndex(end);
  return [lo, Math.max(lo, hi)];
}

/**
 * Elements start, start+step, ... < end along `dim` (Python slice rules: negatives count from the end,
 * out-of-range bounds clamp). A view.
 * @example
 * x.slice(1, 0, 4, 2); // x[:, 0:4:2]
 */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  x.assertAlive('slice');
  const d = normalizeDim('slice', dim, x.ndim);
  const [lo, hi] = sliceBounds('slice', x.shape[d], start, end, step);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = Math.ceil((hi - lo) / step);
  strides[d] = x.strides[d] * step;
  const offset = shape[d] === 0 ? x.offset : x.offset + lo * x.strides[d];
  const xShape = x.shape;
  return record('slice', makeView(x, shape, strides, offset), [x], (gy) => [
    scatterIntoZeros(gy, xShape, (z) => slice(z, d, lo, hi, step)),
  ]);
}

/**
 * `length` elements from `start` along `dim` (a view); out-of-range arguments throw.
 * @example
 * x.narrow(0, 2, 3); // rows 2, 3, 4
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new Error(`narrow: start ${start} and length ${length} are out of range for dim ${dim} of shape ${shapeString(x.shape)}`);
  }
  return slice(x, d, s, s + length);
}

/**
 * The slice at `index` along `dim`, with the dim removed (a view).
 * @example
 * x.select(0, -1); // last row
 */
export function select(x: Tensor, dim: number, index: number): Tensor {
  x.assertAlive('select');
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d];
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new Error(`select: index ${index} is out of range for dim ${dim} of shape ${shapeString(x.shape)}`);
  }
  const shape = x.shape.filter((_, k) => k !== d);
  const strides = x.strides.filter((_, k) => k !== d);
  const xShape = x.shape;
  return record('select', makeView(x, shape, strides, x.offset + i * x.strides[d]), [x], (gy) => [
    scatterIntoZeros(gy, xShape, (z) => select(z, d, i)),
  ]);
}

/**
 * Numpy-style basic indexing: one spec per leading dim; a number selects, `null` keeps the dim,
 * `[start, end, step]` slices.
 * @example
 * x.index(0, [1, 3], null); // x[0, 1:3, :]
 */
export function index(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  if (specs.length > x.ndim) throw new Error(`index: ${specs.length} indices for a tensor of shape ${shapeString(x.shape)}`);
  let out = x;
  let dim = 0;
  for (const spec of specs) {
    let next: Tensor;
    if (spec === null) {
      dim++;
      continue;
    } else if (typeof spec === 'number') {
      next = select(out, dim, spec);
    } else {
      next = slice(out, dim, spec[0], spec[1], spec[2] ?? 1);
      dim++;
    }
    if (out !== x) out.dispose();
    out = next;
  }
  return out === x ? reshape(x, x.shape) : out;
}

/**
 * Removes size-1 dims: all of them, or only `dim` (a no-op when that dim is not 1). A view.
 * @example
 * zeros([1, 3, 1]).squeeze(); // shape [3]
 */
export function squeeze(x: Tensor, dim?: number): Tensor {
  const shape =
    dim === undefined
      ? x.shape.filter((s) => s !== 1)
      : (() => {
          const d = normalizeDim('squeeze', dim, x.ndim);
          return x.shape[d] === 1 ? x.shape.filter((_, k) => k !== d) : [...x.shape];
        })();
  return reshapeImpl('squeeze', x, shape, false);
}

/**
 * Inserts a size-1 dim at `dim` (negative dims count from the end of the result). A view.
 * @example
 * zeros([3]).unsqueeze(0); // shape [1, 3]
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshapeImpl('unsqueeze', x, shape, false);
}

/**
 * Broadcasts size-1 dims (and new leading dims) to `shape` with stride 0: no copy. -1 keeps a size.
 * @example
 * bias.expand([batch, -1]);
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive('expand');
  if (shape.length < x.ndim) throw new Error(`expand: cannot expand shape ${shapeString(x.shape)} to ${shapeString(shape)}`);
  const lead = shape.length - x.ndim;
  const outShape = new Array<number>(shape.length);
  const strides = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const src = i < lead ? 1 : x.shape[i - lead];
    const want = shape[i] === -1 && i >= lead ? src : shape[i];
    if (!Number.isInteger(want) || want < 0 || (src !== 1 && src !== want)) {
      throw new Error(`expand: cannot expand shape ${shapeString(x.shape)} to ${shapeString(shape)}`);
    }
    outShape[i] = want;
    strides[i] = i < lead || (src === 1 && want !== 1) ? 0 : x.strides[i - lead];
  }
  const xShape = x.shape;
  return record('expand', makeView(x, outShape, strides, x.offset), [x], (gy) => [sumTo(gy, xShape)]);
}

/**
 * Merges dims startDim..endDim into one.
 * @example
 * zeros([2, 3, 4]).flatten(1); // shape [2, 12]
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${shapeString(x.shape)}`);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}
