/**
 * Dtype conversion and element access. float32 <-> int32 and uint8/bool -> float32 run as kernels;
 * the rarer conversions (int64, float16, bfloat16) decode element by element, as when loading weights.
 */
import { backendFor } from '../tensor/backend.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat, type DType, type TypedArray } from '../tensor/dtype.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { contiguous } from './views.js';
import { readElements, readStorage } from '../tensor/transfer.js';

/** Reads storage element `i` of `t` as a number (decoding float16/bfloat16, int64 as Number). */
function read(t: Tensor, data: TypedArray, i: number): number {
  const v = data[i];
  if (typeof v === 'bigint') return Number(v);
  if (t.dtype === 'float16') return halfToFloat(v);
  if (t.dtype === 'bfloat16') return bfloat16ToFloat(v);
  return v;
}

/**
 * The element at row-major position `flat` (strides respected).
 * @example
 * elementAt(tensor([[1, 2], [3, 4]]).T, 1); // 3
 */
export function elementAt(t: Tensor, flat: number): number {
  let pos = t.offset;
  let rest = flat;
  for (let d = t.ndim - 1; d >= 0; d--) {
    const size = t.shape[d];
    pos += (rest % size) * t.strides[d];
    rest = Math.floor(rest / size);
  }
  if (t.device !== 'cpu') return read(t, readStorage(t, pos, 1), 0);  // one element downloaded
  return read(t, t.storage.data as TypedArray, pos);
}

/**
 * Nested arrays of the elements (booleans for 'bool').
 * @example
 * toNested(tensor([[1, 2]])); // [[1, 2]]
 */
export function toNested(t: Tensor): NestedArray {
  if (t.device !== 'cpu') return nestPacked(t, readElements(t));
  const data = t.storage.data as TypedArray;
  const asBool = t.dtype === 'bool';
  const walk = (dim: number, pos: number): NestedArray => {
    if (dim === t.ndim) {
      const v = read(t, data, pos);
      return asBool ? v !== 0 : v;
    }
    const out: NestedArray[] = new Array(t.shape[dim]);
    for (let i = 0; i < t.shape[dim]; i++) out[i] = walk(dim + 1, pos + i * t.strides[dim]);
    return out;
  };
  return walk(0, t.offset);
}

/** Nested arrays from the packed row-major elements of `t` (downloaded from its device). */
function nestPacked(t: Tensor, data: TypedArray): NestedArray {
  const asBool = t.dtype === 'bool';
  let next = 0;
  const walk = (dim: number): NestedArray => {
    if (dim === t.ndim) {
      const v = read(t, data, next++);
      return asBool ? v !== 0 : v;
    }
    const out: NestedArray[] = new Array(t.shape[dim]);
    for (let i = 0; i < t.shape[dim]; i++) out[i] = walk(dim + 1);
    return out;
  };
  return walk(0);
}

function encode(dtype: DType, v: number): number | bigint {
  switch (dtype) {
    case 'float16':
      return floatToHalf(v);
    case 'bfloat16':
      return floatToBfloat16(v);
    case 'int64':
      return BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
    case 'int32':
      return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case 'bool':
      return v !== 0 ? 1 : 0;
    case 'uint8':
      return Number.isFinite(v) ? Math.trunc(v) & 0xff : 0;
    case 'float32':
      return v;
  }
}

/**
 * `x` converted to `dtype` (x itself when it already has that dtype). Not differentiable.
 * Float to integer truncates toward zero; to bool gives x != 0.
 * @example
 * tensor([1.7, -2.5]).to('int32').toArray(); // [1, -2]
 */
export function toDType(x: Tensor, dtype: DType): Tensor {
  x.assertAlive('to');
  if (x.dtype === dtype) return x;
  const src = contiguous(x);
  const out = empty(x.shape, { dtype, device: x.device });
  try {
    const kernelCast =
      (dtype === 'float32' && (src.dtype === 'int32' || src.dtype === 'uint8' || src.dtype === 'bool')) ||
      (dtype === 'int32' && src.dtype === 'float32');
    // The CUDA cast kernel converts every pair with the rules of `encode` below.
    if (kernelCast || x.device !== 'cpu') {
      backendFor(x.device).cast(src, out, 1);
    } else {
      const from = src.storage.data as TypedArray;
      const to = out.storage.data as TypedArray;
      const n = out.numel;
      for (let i = 0; i < n; i++) to[i] = encode(dtype, read(src, from, src.offset + i)) as never;
    }
  } finally {
    if (src !== x) src.dispose();
  }
  return out;
}
