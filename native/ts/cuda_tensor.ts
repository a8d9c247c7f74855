/**
 * CUDA kernels for device tensors of every dtype (fill, strided copy, cast, byte transfers) and the
 * rest of the CPU kernel set on the GPU (where, lerp, pooling, indexing, dropout, BCE with logits).
 * Arguments are device buffers or slices of them ({@link DeviceRef}); each call queues work on the
 * device's stream and returns, except {@link cudaReadBytes}, which waits for the data.
 */
import { kernel } from './addon.js';
import type { DeviceRef } from './cuda.js';
import type { AdaptivePool2dShape, AvgPool2dShape, MaxPool2dShape } from './kernels/pool.js';
import type { Reduction } from './kernels/loss.js';

/** Element types a device buffer can hold, named as in `@graft/core`. */
export type CudaDType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool' | 'float16' | 'bfloat16';

/** Views of typed arrays that {@link cudaWriteBytes} and {@link cudaReadBytes} accept. */
export type ByteArray = Float32Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

/**
 * Copies the bytes of `data` into the start of `dst`; returns when `data` may be changed again.
 * @example
 * cudaWriteBytes({ buffer, byteOffset: 8, byteLength: 3 }, Uint8Array.of(1, 2, 3));
 */
export function cudaWriteBytes(dst: DeviceRef, data: ByteArray): void {
  kernel<(dst: DeviceRef, data: ByteArray) => void>('cudaWriteBytes')(dst, data);
}

/**
 * Copies the first `out.byteLength` bytes of `src` into `out`, after all queued work on its device.
 * @example
 * const labels = new BigInt64Array(4); cudaReadBytes(buffer, labels);
 */
export function cudaReadBytes(src: DeviceRef, out: ByteArray): void {
  kernel<(src: DeviceRef, out: ByteArray) => void>('cudaReadBytes')(src, out);
}

/**
 * Sets every `elemSize`-byte element of `out` to the given bits (the value already encoded for its
 * dtype; `hi32` only matters for 8-byte elements).
 * @example
 * cudaFill(x, 4, 0x3f800000, 0); // float32 ones
 */
export function cudaFill(out: DeviceRef, elemSize: 1 | 2 | 4 | 8, lo32: number, hi32 = 0): void {
  kernel<(out: DeviceRef, elemSize: number, lo: number, hi: number) => void>('cudaFill')(out, elemSize, lo32 >>> 0, hi32 >>> 0);
}

/**
 * dst view = src view of `shape`; offsets and strides count elements of `elemSize` bytes. The views
 * must not overlap.
 * @example
 * // the transpose of a packed (2, 3) float32 matrix into a packed (3, 2) one
 * cudaStridedCopy([3, 2], src, 0, [1, 3], dst, 0, [2, 1], 4);
 */
export function cudaStridedCopy(
  shape: readonly number[], src: DeviceRef, srcOffset: number, srcStrides: readonly number[],
  dst: DeviceRef, dstOffset: number, dstStrides: readonly number[], elemSize: 1 | 2 | 4 | 8,
): void {
  type Raw = (shape: readonly number[], src: DeviceRef, so: number, ss: readonly number[], dst: DeviceRef, d0: number,
    ds: readonly number[], elemSize: number) => void;
  kernel<Raw>('cudaStridedCopy')(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides, elemSize);
}

/**
 * Converts `n` packed elements from one dtype to another with `@graft/core`'s rules (integers to float
 * times `scale`, float to integer truncating, float16/bfloat16 rounded to nearest even).
 * @example
 * cudaCast(pixels, 'uint8', images, 'float32', 784, 1 / 255);
 */
export function cudaCast(src: DeviceRef, from: CudaDType, dst: DeviceRef, to: CudaDType, n: number, scale = 1): void {
  type Raw = (src: DeviceRef, from: CudaDType, dst: DeviceRef, to: CudaDType, n: number, scale: number) => void;
  kernel<Raw>('cudaCast')(src, from, dst, to, n, scale);
}

/**
 * `out = cond != 0 ? a : b` over float32 strided views of `shape` (stride 0 broadcasts); `out` packed.
 * @example
 * cudaWhere([4], mask, 0, [1], x, 0, [1], zeros, 0, [0], out);
 */
export function cudaWhere(
  shape: readonly number[], cond: DeviceRef, condOffset: number, condStrides: readonly number[],
  a: DeviceRef, aOffset: number, aStrides: readonly number[], b: DeviceRef, bOffset: number, bStrides: readonly number[],
  out: DeviceRef,
): void {
  type Raw = (...args: [readonly number[], ...(DeviceRef | number | readonly number[])[]]) => void;
  kernel<Raw>('cudaWhere')(shape, cond, condOffset, condStrides, a, aOffset, aStrides, b, bOffset, bStrides, out);
}

function pair(value: number | readonly [number, number] | undefined, fallback: readonly [number, number]): [number, number] {
  if (value === undefined) return [fallback[0], fallback[1]];
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

function windowSizes(shape: MaxPool2dShape | AvgPool2dShape): number[] {
  const kernelSize = pair(shape.kernelSize, [1, 1]);
  return [shape.n, shape.c, shape.h, shape.w, ...kernelSize, ...pair(shape.stride, kernelSize), ...pair(shape.padding, [0, 0])];
}

type RawPool = (...args: (number | boolean | DeviceRef)[]) => void;

/**
 * Max pooling on the GPU, as `maxPool2dForward`; `indices` is an int32 buffer.
 * @example
 * cudaMaxPool2dForward({ n: 8, c: 64, h: 112, w: 112, kernelSize: 3, stride: 2, padding: 1, x, y, indices });
 */
export function cudaMaxPool2dForward(args: MaxPool2dShape & { x: DeviceRef; y: DeviceRef; indices: DeviceRef }): void {
  kernel<RawPool>('cudaMaxPool2dForward')(
    ...windowSizes(args), ...pair(args.dilation, [1, 1]), args.ceilMode ?? false, args.x, args.y, args.indices,
  );
}

/**
 * Max pooling backward on the GPU, as `maxPool2dBackward` (dx overwritten; deterministic).
 * @example
 * cudaMaxPool2dBackward({ ...shape, dy, indices, dx });
 */
export function cudaMaxPool2dBackward(args: MaxPool2dShape & { dy: DeviceRef; indices: DeviceRef; dx: DeviceRef }): void {
  kernel<RawPool>('cudaMaxPool2dBackward')(
    ...windowSizes(args), ...pair(args.dilation, [1, 1]), args.ceilMode ?? false, args.dy, args.indices, args.dx,
  );
}

/**
 * Average pooling on the GPU, as `avgPool2dForward`.
 * @example
 * cudaAvgPool2dForward({ n: 1, c: 3, h: 8, w: 8, kernelSize: 2, x, y });
 */
export function cudaAvgPool2dForward(args: AvgPool2dShape & { x: DeviceRef; y: DeviceRef }): void {
  kernel<RawPool>('cudaAvgPool2dForward')(
    ...windowSizes(args), args.ceilMode ?? false, args.countIncludePad ?? true, args.x, args.y,
  );
}

/**
 * Average pooling backward on the GPU, as `avgPool2dBackward`.
 * @example
 * cudaAvgPool2dBackward({ ...shape, dy, dx });
 */
export function cudaAvgPool2dBackward(args: AvgPool2dShape & { dy: DeviceRef; dx: DeviceRef }): void {
  kernel<RawPool>('cudaAvgPool2dBackward')(
    ...windowSizes(args), args.ceilMode ?? false, args.countIncludePad ?? true, args.dy, args.dx,
  );
}

/**
 * Adaptive average pooling on the GPU, as `adaptiveAvgPool2dForward` (1x1 output: one block per plane).
 * @example
 * cudaAdaptiveAvgPool2dForward({ n: 8, c: 512, h: 7, w: 7, outH: 1, outW: 1, x, y });
 */
export function cudaAdaptiveAvgPool2dForward(args: AdaptivePool2dShape & { x: DeviceRef; y: DeviceRef }): void {
  kernel<RawPool>('cudaAdaptiveAvgPool2dForward')(args.n, args.c, args.h, args.w, args.outH, args.outW, args.x, args.y);
}

/**
 * Adaptive average pooling backward on the GPU, as `adaptiveAvgPool2dBackward`.
 * @example
 * cudaAdaptiveAvgPool2dBackward({ ...shape, dy, dx });
 */
export function cudaAdaptiveAvgPool2dBackward(args: AdaptivePool2dShape & { dy: DeviceRef; dx: DeviceRef }): void {
  kernel<RawPool>('cudaAdaptiveAvgPool2dBackward')(args.n, args.c, args.h, args.w, args.outH, args.outW, args.dy, args.dx);
}

type RawIndex = (a: DeviceRef, outer: number, mid: number, inner: number, index: DeviceRef, other: number, b: DeviceRef) => void;

/**
 * `y[o, j, :] = x[o, indices[j], :]` on the GPU; x (outer, n, inner), int32 indices (m), y (outer, m, inner).
 * An index outside [0, n) gives NaN (indices are not read back to be checked).
 * @example
 * cudaIndexSelect(table, 1, vocab, dim, tokens, count, rows);
 */
export function cudaIndexSelect(x: DeviceRef, outer: number, n: number, inner: number, indices: DeviceRef, m: number, y: DeviceRef): void {
  kernel<RawIndex>('cudaIndexSelect')(x, outer, n, inner, indices, m, y);
}

/**
 * `dx[o, indices[j], :] += dy[o, j, :]` on the GPU (atomic adds: the order of additions may vary).
 * @example
 * cudaIndexAdd(dRows, 1, count, dim, tokens, vocab, dTable);
 */
export function cudaIndexAdd(dy: DeviceRef, outer: number, m: number, inner: number, indices: DeviceRef, n: number, dx: DeviceRef): void {
  kernel<RawIndex>('cudaIndexAdd')(dy, outer, m, inner, indices, n, dx);
}

/**
 * `y[o, j, i] = x[o, index[o, j, i], i]` on the GPU; index and y (outer, m, inner).
 * @example
 * cudaGather(logits, n, classes, 1, picks, 1, picked);
 */
export function cudaGather(x: DeviceRef, outer: number, n: number, inner: number, index: DeviceRef, m: number, y: DeviceRef): void {
  kernel<RawIndex>('cudaGather')(x, outer, n, inner, index, m, y);
}

/**
 * `dx[o, index[o, j, i], i] += dy[o, j, i]` on the GPU (atomic adds).
 * @example
 * cudaScatterAdd(dPicked, n, 1, 1, picks, classes, dLogits);
 */
export function cudaScatterAdd(dy: DeviceRef, outer: number, m: number, inner: number, index: DeviceRef, n: number, dx: DeviceRef): void {
  kernel<RawIndex>('cudaScatterAdd')(dy, outer, m, inner, index, n, dx);
}

/**
 * One-hot rows on the GPU: out (count, classes) float32 from int32 labels (a label out of range: NaN row).
 * @example
 * cudaOneHot(labels, 128, 10, targets);
 */
export function cudaOneHot(labels: DeviceRef, count: number, classes: number, out: DeviceRef): void {
  kernel<(labels: DeviceRef, count: number, classes: number, out: DeviceRef) => void>('cudaOneHot')(labels, count, classes, out);
}

/**
 * Dropout on the GPU: the CPU's mask for the same (seed, offset), bit for bit; `mask` holds one byte
 * per element.
 * @example
 * cudaDropout(x, y, mask, 0.1, 42, 0);
 */
export function cudaDropout(x: DeviceRef, y: DeviceRef, mask: DeviceRef, p: number, seed: number, offset: number): void {
  type Raw = (x: DeviceRef, y: DeviceRef, mask: DeviceRef, p: number, seed: number, offset: number) => void;
  kernel<Raw>('cudaDropout')(x, y, mask, p, seed, offset);
}

/**
 * Dropout backward on the GPU: `dx = mask ? dy / (1 - p) : 0`.
 * @example
 * cudaDropoutBackward(dy, mask, 0.1, dx);
 */
export function cudaDropoutBackward(dy: DeviceRef, mask: DeviceRef, p: number, dx: DeviceRef): void {
  kernel<(dy: DeviceRef, mask: DeviceRef, p: number, dx: DeviceRef) => void>('cudaDropoutBackward')(dy, mask, p, dx);
}

/** Arguments of {@link cudaBceWithLogits}: those of `bceWithLogits` over device buffers. */
export interface CudaBceWithLogitsArgs {
  logits: DeviceRef;
  targets: DeviceRef;
  n: number;
  c: number;
  posWeight?: DeviceRef;
  reduction?: Reduction;
  losses: DeviceRef;
  dlogits?: DeviceRef;
}

/**
 * Binary cross-entropy with logits on the GPU, as `bceWithLogits` (sums in double, fixed order).
 * @example
 * cudaBceWithLogits({ logits, targets, n: 32, c: 5, losses, dlogits });
 */
export function cudaBceWithLogits(a: CudaBceWithLogitsArgs): void {
  type Raw = (logits: DeviceRef, targets: DeviceRef, n: number, c: number, posWeight: DeviceRef | null,
    reduction: Reduction, losses: DeviceRef, dlogits: DeviceRef | null) => void;
  kernel<Raw>('cudaBceWithLogits')(
    a.logits, a.targets, a.n, a.c, a.posWeight ?? null, a.reduction ?? 'mean', a.losses, a.dlogits ?? null,
  );
}
