/**
 * 2-D pooling with PyTorch's semantics, NCHW float32: x (N,C,H,W), y (N,C,P,Q). Max pooling also writes
 * `indices` (N,C,P,Q), the flat position `ih*W + iw` of each window's maximum in its input plane, which
 * its backward reads. Backward kernels overwrite `dx`.
 */
import { kernel, type Impl } from '../addon.js';
import type { Size2d } from './conv2d.js';

/**
 * Input shape and window of {@link maxPool2dForward} / {@link avgPool2dForward}.
 * @example
 * const shape: Pool2dShape = { n: 8, c: 64, h: 112, w: 112, kernelSize: 3, stride: 2, padding: 1 };
 */
export interface Pool2dShape {
  /** Batch size (may be 0). */
  n: number;
  /** Channels (may be 0). */
  c: number;
  /** Input height (>= 1). */
  h: number;
  /** Input width (>= 1). */
  w: number;
  /** Window size. */
  kernelSize: Size2d;
  /** Step between windows; defaults to the kernel size, as in PyTorch. */
  stride?: Size2d;
  /** Implicit padding on each side, at most half the kernel size; default 0. */
  padding?: Size2d;
  /** Output size rounds up instead of down (the last window must still start inside the input). */
  ceilMode?: boolean;
}

/**
 * Max-pool shape: a {@link Pool2dShape} with dilation between window taps.
 * @example
 * const shape: MaxPool2dShape = { n: 1, c: 3, h: 9, w: 9, kernelSize: 2, dilation: 2 };
 */
export interface MaxPool2dShape extends Pool2dShape {
  /** Spacing between window taps; default 1. */
  dilation?: Size2d;
}

/**
 * Avg-pool shape: a {@link Pool2dShape} and how the divisor counts padding.
 * @example
 * const shape: AvgPool2dShape = { n: 1, c: 3, h: 9, w: 9, kernelSize: 3, padding: 1, countIncludePad: false };
 */
export interface AvgPool2dShape extends Pool2dShape {
  /** Padding counts in the divisor (PyTorch's default, true). */
  countIncludePad?: boolean;
}

/**
 * Adaptive pooling shape: input (n,c,h,w) pooled to (outH, outW).
 * @example
 * const shape: AdaptivePool2dShape = { n: 8, c: 512, h: 7, w: 7, outH: 1, outW: 1 };
 */
export interface AdaptivePool2dShape {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output height (>= 1). */
  outH: number;
  /** Output width (>= 1). */
  outW: number;
}

type RawMaxForward = (...args: [...number[], boolean, Float32Array, Float32Array, Int32Array]) => void;
type RawMaxBackward = (...args: [...number[], boolean, Float32Array, Int32Array, Float32Array]) => void;
type RawAvg = (...args: [...number[], boolean, boolean, Float32Array, Float32Array]) => void;
type RawAdaptive = (...args: [number, number, number, number, number, number, Float32Array, Float32Array]) => void;

function pair(value: Size2d | undefined, fallback: readonly [number, number]): [number, number] {
  if (value === undefined) return [fallback[0], fallback[1]];
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

function windowSizes(shape: Pool2dShape): number[] {
  const kernelSize = pair(shape.kernelSize, [1, 1]);
  return [shape.n, shape.c, shape.h, shape.w, ...kernelSize, ...pair(shape.stride, kernelSize), ...pair(shape.padding, [0, 0])];
}

/**
 * Output height and width of a max or avg pool (PyTorch's formula, including `ceilMode`); <= 0 when the
 * window does not fit.
 * @example
 * pool2dOutputSize({ n: 1, c: 64, h: 112, w: 112, kernelSize: 3, stride: 2, padding: 1 }); // { p: 56, q: 56 }
 */
export function pool2dOutputSize(shape: MaxPool2dShape): { p: number; q: number } {
  const [, , h, w, kh, kw, sh, sw, ph, pw] = windowSizes(shape) as [number, number, number, number, number, number, number, number, number, number];
  const [dh, dw] = pair(shape.dilation, [1, 1]);
  const out = (size: number, k: number, s: number, pad: number, d: number): number => {
    let o = Math.floor((size + 2 * pad - d * (k - 1) - 1 + (shape.ceilMode ? s - 1 : 0)) / s) + 1;
    if (shape.ceilMode && (o - 1) * s >= size + pad) o -= 1;
    return o;
  };
  return { p: out(h, kh, sh, ph, dh), q: out(w, kw, sw, pw, dw) };
}

/**
 * Max pooling: `y` gets each window's maximum (NaN wins), `indices` its flat position in the plane.
 * @example
 * const x = Float32Array.from([1, 5, 3, 2]), y = new Float32Array(1), indices = new Int32Array(1);
 * maxPool2dForward({ n: 1, c: 1, h: 2, w: 2, kernelSize: 2, x, y, indices }); // y = [5], indices = [1]
 */
export function maxPool2dForward(
  args: MaxPool2dShape & { x: Float32Array; y: Float32Array; indices: Int32Array },
  impl: Impl = 'cpu',
): void {
  kernel<RawMaxForward>('maxPool2dForward', impl)(
    ...windowSizes(args), ...pair(args.dilation, [1, 1]), args.ceilMode ?? false, args.x, args.y, args.indices,
  );
}

/**
 * Max pooling backward: `dx` is zero except `dx[indices[o]] += dy[o]` within each plane.
 * @example
 * const dy = Float32Array.from([2]), indices = Int32Array.from([1]), dx = new Float32Array(4);
 * maxPool2dBackward({ n: 1, c: 1, h: 2, w: 2, kernelSize: 2, dy, indices, dx }); // dx = [0, 2, 0, 0]
 */
export function maxPool2dBackward(
  args: MaxPool2dShape & { dy: Float32Array; indices: Int32Array; dx: Float32Array },
  impl: Impl = 'cpu',
): void {
  kernel<RawMaxBackward>('maxPool2dBackward', impl)(
    ...windowSizes(args), ...pair(args.dilation, [1, 1]), args.ceilMode ?? false, args.dy, args.indices, args.dx,
  );
}

/**
 * Average pooling, with PyTorch's divisor rules for padding (`countIncludePad`) and `ceilMode`.
 * @example
 * const x = Float32Array.from([1, 2, 3, 4]), y = new Float32Array(1);
 * avgPool2dForward({ n: 1, c: 1, h: 2, w: 2, kernelSize: 2, x, y }); // y = [2.5]
 */
export function avgPool2dForward(args: AvgPool2dShape & { x: Float32Array; y: Float32Array }, impl: Impl = 'cpu'): void {
  kernel<RawAvg>('avgPool2dForward', impl)(
    ...windowSizes(args), args.ceilMode ?? false, args.countIncludePad ?? true, args.x, args.y,
  );
}

/**
 * Average pooling backward: each `dy` spreads evenly (by the forward divisor) over its window.
 * @example
 * const dy = Float32Array.from([4]), dx = new Float32Array(4);
 * avgPool2dBackward({ n: 1, c: 1, h: 2, w: 2, kernelSize: 2, dy, dx }); // dx = [1, 1, 1, 1]
 */
export function avgPool2dBackward(args: AvgPool2dShape & { dy: Float32Array; dx: Float32Array }, impl: Impl = 'cpu'): void {
  kernel<RawAvg>('avgPool2dBackward', impl)(
    ...windowSizes(args), args.ceilMode ?? false, args.countIncludePad ?? true, args.dy, args.dx,
  );
}

/**
 * Adaptive average pooling to (outH, outW); window rows `[floor(i*H/outH), ceil((i+1)*H/outH))`.
 * `outH = outW = 1` is global average pooling.
 * @example
 * const x = Float32Array.from([1, 2, 3, 4]), y = new Float32Array(1);
 * adaptiveAvgPool2dForward({ n: 1, c: 1, h: 2, w: 2, outH: 1, outW: 1, x, y }); // y = [2.5]
 */
export function adaptiveAvgPool2dForward(
  args: AdaptivePool2dShape & { x: Float32Array; y: Float32Array },
  impl: Impl = 'cpu',
): void {
  kernel<RawAdaptive>('adaptiveAvgPool2dForward', impl)(args.n, args.c, args.h, args.w, args.outH, args.outW, args.x, args.y);
}

/**
 * Adaptive average pooling backward: each `dy` spreads evenly over its window into `dx`.
 * @example
 * const dy = Float32Array.from([4]), dx = new Float32Array(4);
 * adaptiveAvgPool2dBackward({ n: 1, c: 1, h: 2, w: 2, outH: 1, outW: 1, dy, dx }); // dx = [1, 1, 1, 1]
 */
export function adaptiveAvgPool2dBackward(
  args: AdaptivePool2dShape & { dy: Float32Array; dx: Float32Array },
  impl: Impl = 'cpu',
): void {
  kernel<RawAdaptive>('adaptiveAvgPool2dBackward', impl)(args.n, args.c, args.h, args.w, args.outH, args.outW, args.dy, args.dx);
}
