/**
 * Elementwise kernels: unary maps and their derivatives, broadcasting binary ops, `where`, N-d strided
 * copies and dtype casts. Outputs are written in place into caller-provided arrays.
 */
import { kernel, type Impl } from '../addon.js';

/** Unary maps understood by {@link unary} and {@link unaryBackward}. */
export type UnaryOp =
  | 'neg' | 'abs' | 'relu' | 'leakyRelu' | 'gelu' | 'geluTanh' | 'silu' | 'sigmoid' | 'tanh' | 'exp'
  | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal' | 'sign' | 'clamp' | 'affine' | 'powScalar';

/**
 * Scalars some unary maps read: `leakyRelu` (alpha, default 0.01), `clamp` (min, max; default
 * unbounded), `affine` (alpha * x + beta; defaults 1 and 0), `powScalar` (exponent, default 1).
 */
export interface UnaryParams {
  alpha?: number;
  beta?: number;
  min?: number;
  max?: number;
  exponent?: number;
}

/** Broadcasting binary ops; comparisons write 1 or 0. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

type RawUnary = (op: UnaryOp, x: Float32Array, y: Float32Array, alpha: number, beta: number, min: number, max: number, exponent: number) => void;
type RawUnaryBackward = (
  op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array,
  alpha: number, beta: number, min: number, max: number, exponent: number,
) => void;
type RawBinary = (
  op: BinaryOp, shape: readonly number[], a: Float32Array, aOffset: number, aStrides: readonly number[],
  b: Float32Array, bOffset: number, bStrides: readonly number[], out: Float32Array,
) => void;
type RawWhere = (
  shape: readonly number[], cond: Float32Array, condOffset: number, condStrides: readonly number[],
  a: Float32Array, aOffset: number, aStrides: readonly number[], b: Float32Array, bOffset: number,
  bStrides: readonly number[], out: Float32Array,
) => void;
type RawCopy<T> = (
  shape: readonly number[], src: T, srcOffset: number, srcStrides: readonly number[], dst: T, dstOffset: number,
  dstStrides: readonly number[],
) => void;

function paramList(op: UnaryOp, p: UnaryParams = {}): [number, number, number, number, number] {
  const alpha = p.alpha ?? (op === 'leakyRelu' ? 0.01 : 1);
  return [alpha, p.beta ?? 0, p.min ?? -Infinity, p.max ?? Infinity, p.exponent ?? 1];
}

/**
 * `y = op(x)` elementwise over contiguous arrays; `y` may be `x` (in place).
 * @example
 * const x = Float32Array.from([-1, 2]);
 * unary('relu', x, x); // x = [0, 2]
 * unary('clamp', x, x, { min: 0, max: 1 }); // x = [0, 1]
 */
export function unary(op: UnaryOp, x: Float32Array, y: Float32Array, params?: UnaryParams, impl: Impl = 'cpu'): void {
  kernel<RawUnary>('unary', impl)(op, x, y, ...paramList(op, params));
}

/**
 * `dx = dy * op'(x)`, given the forward input `x` and output `y` (each formula uses whichever it needs).
 * @example
 * const x = Float32Array.from([-1, 2]), y = new Float32Array(2), dx = new Float32Array(2);
 * unary('relu', x, y);
 * unaryBackward('relu', x, y, Float32Array.from([1, 1]), dx); // dx = [0, 1]
 */
export function unaryBackward(
  op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, params?: UnaryParams,
  impl: Impl = 'cpu',
): void {
  kernel<RawUnaryBackward>('unaryBackward', impl)(op, x, y, dy, dx, ...paramList(op, params));
}

/**
 * `out = op(a, b)` with broadcasting through strides: `a` and `b` are views of `outShape` (up to 8 dims)
 * given by an element offset and per-dim strides (0 on a broadcast dim; negative strides allowed);
 * `out` is contiguous. An input may be `out` itself laid out the same way (in place); any other
 * sharing of memory with `out` throws.
 * @example
 * // bias add: x (2, 3) + bias (3)
 * const x = Float32Array.from([1, 2, 3, 4, 5, 6]), bias = Float32Array.from([10, 20, 30]);
 * const out = new Float32Array(6);
 * binary('add', [2, 3], x, 0, [3, 1], bias, 0, [0, 1], out); // [11, 22, 33, 14, 25, 36]
 */
export function binary(
  op: BinaryOp, outShape: readonly number[], a: Float32Array, aOffset: number, aStrides: readonly number[],
  b: Float32Array, bOffset: number, bStrides: readonly number[], out: Float32Array, impl: Impl = 'cpu',
): void {
  kernel<RawBinary>('binary', impl)(op, outShape, a, aOffset, aStrides, b, bOffset, bStrides, out);
}

/**
 * `out = cond != 0 ? a : b`, each operand a strided view of `outShape` as in {@link binary}.
 * @example
 * const out = new Float32Array(2);
 * where([2], Float32Array.from([1, 0]), 0, [1], Float32Array.from([1, 2]), 0, [1], Float32Array.from([7]), 0, [0], out);
 * // out = [1, 7]
 */
export function where(
  outShape: readonly number[], cond: Float32Array, condOffset: number, condStrides: readonly number[],
  a: Float32Array, aOffset: number, aStrides: readonly number[], b: Float32Array, bOffset: number,
  bStrides: readonly number[], out: Float32Array, impl: Impl = 'cpu',
): void {
  kernel<RawWhere>('where', impl)(outShape, cond, condOffset, condStrides, a, aOffset, aStrides, b, bOffset, bStrides, out);
}

/**
 * Copies the strided view `src` into the strided view `dst` of the same `shape` (views to contiguous,
 * slice assignment, concatenation). Views that share memory throw (copy through a temporary).
 * @example
 * // transpose a (2, 3) matrix into a contiguous (3, 2) one
 * const src = Float32Array.from([1, 2, 3, 4, 5, 6]), dst = new Float32Array(6);
 * stridedCopy([3, 2], src, 0, [1, 3], dst, 0, [2, 1]); // dst = [1, 4, 2, 5, 3, 6]
 */
export function stridedCopy(
  shape: readonly number[], src: Float32Array, srcOffset: number, srcStrides: readonly number[],
  dst: Float32Array, dstOffset: number, dstStrides: readonly number[], impl: Impl = 'cpu',
): void {
  kernel<RawCopy<Float32Array>>('stridedCopy', impl)(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides);
}

/**
 * {@link stridedCopy} for Int32Array views.
 * @example
 * const src = Int32Array.from([1, 2, 3]), dst = new Int32Array(3);
 * stridedCopyInt32([3], src, 2, [-1], dst, 0, [1]); // dst = [3, 2, 1]
 */
export function stridedCopyInt32(
  shape: readonly number[], src: Int32Array, srcOffset: number, srcStrides: readonly number[],
  dst: Int32Array, dstOffset: number, dstStrides: readonly number[], impl: Impl = 'cpu',
): void {
  kernel<RawCopy<Int32Array>>('stridedCopyInt32', impl)(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides);
}

/**
 * `dst[i] = src[i] * scale` (scale defaults to 1), e.g. image bytes to [0, 1] floats.
 * @example
 * const px = Uint8Array.from([0, 255]), f = new Float32Array(2);
 * castToFloat32(px, f, 1 / 255); // f = [0, 1]
 */
export function castToFloat32(src: Uint8Array | Int32Array, dst: Float32Array, scale = 1, impl: Impl = 'cpu'): void {
  if (src instanceof Uint8Array) {
    kernel<(s: Uint8Array, d: Float32Array, scale: number) => void>('castUint8ToFloat32', impl)(src, dst, scale);
  } else {
    kernel<(s: Int32Array, d: Float32Array, scale: number) => void>('castInt32ToFloat32', impl)(src, dst, scale);
  }
}

/**
 * Truncates toward zero, as PyTorch `.int()`; NaN becomes 0 and values beyond int32 saturate.
 * @example
 * const out = new Int32Array(2);
 * castFloat32ToInt32(Float32Array.from([-1.7, 2.9]), out); // out = [-1, 2]
 */
export function castFloat32ToInt32(src: Float32Array, dst: Int32Array, impl: Impl = 'cpu'): void {
  kernel<(s: Float32Array, d: Int32Array) => void>('castFloat32ToInt32', impl)(src, dst);
}
