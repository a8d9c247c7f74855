/**
 * Integer indexing (indexSelect, gather), joining (cat, stack) and splitting (split, chunk).
 * Index tensors may be int32 or int64 (converted to int32 for the kernels); indices are range-checked.
 */
import { record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { normalizeDim, numel, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { toDType } from './cast.js';
import { empty, zeros } from './creation.js';
import { checkFloat } from './elementwise.js';
import { contiguous, narrow, reshape, unsqueeze } from './views.js';

/** The index tensor as packed int32 (a new handle the caller disposes when different from `idx`). */
function int32Index(op: string, idx: Tensor): Tensor {
  idx.assertAlive(op);
  if (idx.dtype !== 'int32' && idx.dtype !== 'int64' && idx.dtype !== 'uint8') {
    throw new Error(`${op}: indices must be int32 or int64 (got ${idx.dtype}, shape ${shapeString(idx.shape)})`);
  }
  const i32 = idx.dtype === 'int32' ? idx : toDType(idx, 'int32');
  const packed = contiguous(i32);
  if (packed !== i32 && i32 !== idx) i32.dispose();
  return packed;
}

/**
 * Slices of `x` along `dim` picked by a 1-D integer tensor: y = x.index_select(dim, indices).
 * @example
 * indexSelect(table, 0, tensor([2, 0], { dtype: 'int32' }));
 */
export function indexSelect(x: Tensor, dim: number, indices: Tensor): Tensor {
  checkFloat('indexSelect', x);
  if (indices.ndim > 1) throw new Error(`indexSelect: indices must be 1-D (got shape ${shapeString(indices.shape)})`);
  const d = normalizeDim('indexSelect', dim, x.ndim);
  const idx = int32Index('indexSelect', indices);
  const outer = numel(x.shape.slice(0, d));
  const n = x.shape[d];
  const inner = numel(x.shape.slice(d + 1));
  const m = idx.numel;
  const shape = [...x.shape];
  shape[d] = m;
  const xc = contiguous(x);
  const y = empty(shape, { device: x.device });
  const backend = backendFor(x.device);
  try {
    backend.indexSelect(xc, outer, n, inner, idx, y);
  } catch (err) {
    y.dispose();
    throw err;
  } finally {
    if (xc !== x) xc.dispose();
  }
  const xs = x.shape;
  const out = record('indexSelect', y, [x], (gy, [si]) => {
    const g = contiguous(gy);
    const dx = zeros(xs, { device: gy.device });
    backend.indexAdd(g, outer, m, inner, si, n, dx);
    if (g !== gy) g.dispose();
    return [dx];
  }, [idx]);
  if (idx !== indices) idx.dispose();
  return out;
}

/**
 * y[..., j, ...] = x[..., index[..., j, ...], ...] along `dim`; `index` has x's shape except at `dim`.
 * @example
 * gather(logProbs, 1, labels.unsqueeze(1)); // (N, 1)
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkFloat('gather', x);
  const d = normalizeDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s !== x.shape[i])) {
    throw new Error(`gather: index shape ${shapeString(index.shape)} must equal the input shape ${shapeString(x.shape)} except at dim ${d}`);
  }
  const idx = int32Index('gather', index);
  const outer = numel(x.shape.slice(0, d));
  const n = x.shape[d];
  const inner = numel(x.shape.slice(d + 1));
  const m = index.shape[d];
  const xc = contiguous(x);
  const y = empty(index.shape, { device: x.device });
  const backend = backendFor(x.device);
  try {
    backend.gather(xc, outer, n, inner, idx, m, y);
  } catch (err) {
    y.dispose();
    throw err;
  } finally {
    if (xc !== x) xc.dispose();
  }
  const xs = x.shape;
  const out = record('gather', y, [x], (gy, [si]) => {
    const g = contiguous(gy);
    const dx = zeros(xs, { device: gy.device });
    backend.scatterAdd(g, outer, m, inner, si, n, dx);
    if (g !== gy) g.dispose();
    return [dx];
  }, [idx]);
  if (idx !== index) idx.dispose();
  return out;
}

/**
 * Joins tensors along an existing dim (all other sizes must match).
 * @example
 * cat([a, b], 0);
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: needs at least one tensor');
  const first = tensors[0];
  first.assertAlive('cat');
  const d = normalizeDim('cat', dim, first.ndim);
  let total = 0;
  for (const t of tensors) {
    t.assertAlive('cat');
    if (t.dtype !== first.dtype) throw new Error(`cat: dtype mismatch (${first.dtype} and ${t.dtype})`);
    if (t.device !== first.device) throw new Error(`cat: tensors are on different devices (${first.device}, ${t.device})`);
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`cat: shapes ${shapeString(first.shape)} and ${shapeString(t.shape)} differ outside dim ${d}`);
    }
    total += t.shape[d];
  }
  const shape = [...first.shape];
  shape[d] = total;
  const out = empty(shape, { dtype: first.dtype, device: first.device });
  const backend = backendFor(first.device);
  const sizes: number[] = [];
  let at = 0;
  for (const t of tensors) {
    const part = narrow(out, d, at, t.shape[d]);
    backend.copy(t, part);
    part.dispose();
    sizes.push(t.shape[d]);
    at += t.shape[d];
  }
  return record('cat', out, tensors, (gy) => {
    let start = 0;
    return sizes.map((size) => {
      const g = narrow(gy, d, start, size);
      start += size;
      return g;
    });
  });
}

/**
 * Joins same-shape tensors along a new dim.
 * @example
 * stack([a, b], 0); // shape [2, ...a.shape]
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
  const shape = tensors[0].shape;
  for (const t of tensors) {
    if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`stack: every tensor must have the same shape (${shapeString(shape)} and ${shapeString(t.shape)})`);
    }
  }
  const d = normalizeDim('stack', dim, shape.length + 1);
  const parts = tensors.map((t) => unsqueeze(t, d));
  const out = cat(parts, d);
  parts.forEach((p) => p.dispose());
  return out;
}

/**
 * Views of consecutive pieces along `dim`: each of `size` (the last may be smaller), or of the given sizes.
 * @example
 * split(x, 2, 0); split(x, [1, 3], 1);
 */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  x.assertAlive('split');
  const d = normalizeDim('split', dim, x.ndim);
  const total = x.shape[d];
  let sizes: number[];
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`split: size must be a positive integer (got ${size})`);
    sizes = [];
    for (let s = 0; s < total; s += size) sizes.push(Math.min(size, total - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = [...size];
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== total || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new Error(`split: sizes ${shapeString(sizes)} do not add up to ${total} (dim ${d} of shape ${shapeString(x.shape)})`);
    }
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = narrow(x, d, start, s);
    start += s;
    return piece;
  });
}

/**
 * `chunks` views of nearly equal size along `dim` (as torch.chunk: ceil(size / chunks) each).
 * @example
 * const [q, k, v] = chunk(qkv, 3, -1);
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer (got ${chunks})`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/**
 * Rows of `weight` (V, D) for integer `indices` of any shape: output (...indices.shape, D).
 * @example
 * embeddingLookup(table, tokens);
 */
export function embeddingLookup(weight: Tensor, indices: Tensor): Tensor {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be 2-D (V, D) (got shape ${shapeString(weight.shape)})`);
  const flat = reshape(indices, [-1]);
  const rows = indexSelect(weight, 0, flat);
  flat.dispose();
  const out = reshape(rows, [...indices.shape, weight.shape[1]]);
  if (out !== rows) rows.dispose();
  return out;
}
