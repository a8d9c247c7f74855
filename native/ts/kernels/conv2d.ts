/**
 * 2-D convolution (cross-correlation, as PyTorch's `conv2d`), NCHW float32, with stride, padding,
 * dilation and groups: x (N,C,H,W), weight (K,C/G,R,S), bias (K), y (N,K,P,Q).
 * Outputs are overwritten, never accumulated into.
 */
import { kernel, type Impl } from '../addon.js';

/**
 * A size given once for both spatial axes, or as `[height, width]`.
 * @example
 * const stride: Size2d = [2, 1];
 */
export type Size2d = number | readonly [number, number];

/**
 * The shape of a convolution: input (n,c,h,w), `k` filters of (c/groups, r, s), and the hyper-parameters.
 * @example
 * const shape: Conv2dShape = { n: 8, c: 16, h: 28, w: 28, k: 32, r: 3, s: 3, stride: 2, padding: 1 };
 */
export interface Conv2dShape {
  /** Batch size (may be 0). */
  n: number;
  /** Input channels. */
  c: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Output channels (filters). */
  k: number;
  /** Kernel height. */
  r: number;
  /** Kernel width. */
  s: number;
  /** Step between output positions; default 1. */
  stride?: Size2d;
  /** Zeros added on each side of the input; default 0. */
  padding?: Size2d;
  /** Spacing between kernel taps; default 1. */
  dilation?: Size2d;
  /** Channel groups: `c` and `k` must be divisible by it; `groups = c` is depthwise. Default 1. */
  groups?: number;
}

/**
 * Arguments of {@link conv2dForward}.
 * @example
 * const args: Conv2dForwardArgs = { ...shape, x, weight, bias, y };
 */
export interface Conv2dForwardArgs extends Conv2dShape {
  /** Input (N,C,H,W). */
  x: Float32Array;
  /** Filters (K,C/G,R,S). */
  weight: Float32Array;
  /** Optional per-filter bias (K). */
  bias?: Float32Array;
  /** Output (N,K,P,Q), overwritten. */
  y: Float32Array;
}

/**
 * Arguments of {@link conv2dBackwardData}.
 * @example
 * const args: Conv2dBackwardDataArgs = { ...shape, dy, weight, dx };
 */
export interface Conv2dBackwardDataArgs extends Conv2dShape {
  /** Gradient of the output (N,K,P,Q). */
  dy: Float32Array;
  /** Filters (K,C/G,R,S). */
  weight: Float32Array;
  /** Gradient of the input (N,C,H,W), overwritten. */
  dx: Float32Array;
}

/**
 * Arguments of {@link conv2dBackwardWeight}.
 * @example
 * const args: Conv2dBackwardWeightArgs = { ...shape, x, dy, dw, dbias };
 */
export interface Conv2dBackwardWeightArgs extends Conv2dShape {
  /** Input of the forward pass (N,C,H,W). */
  x: Float32Array;
  /** Gradient of the output (N,K,P,Q). */
  dy: Float32Array;
  /** Gradient of the filters (K,C/G,R,S), overwritten. */
  dw: Float32Array;
  /** Optional gradient of the bias (K), overwritten. */
  dbias?: Float32Array;
}

type Sizes = [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
type RawForward = (...args: [...Sizes, Float32Array, Float32Array, Float32Array | null, Float32Array]) => void;
type RawBackwardData = (...args: [...Sizes, Float32Array, Float32Array, Float32Array]) => void;
type RawBackwardWeight = (...args: [...Sizes, Float32Array, Float32Array, Float32Array, Float32Array | null]) => void;

function pair(value: Size2d | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

function sizes(shape: Conv2dShape): Sizes {
  const [sh, sw] = pair(shape.stride, 1);
  const [ph, pw] = pair(shape.padding, 0);
  const [dh, dw] = pair(shape.dilation, 1);
  return [shape.n, shape.c, shape.h, shape.w, shape.k, shape.r, shape.s, sh, sw, ph, pw, dh, dw, shape.groups ?? 1];
}

/**
 * Output height and width of a convolution (`P = floor((H + 2*pad - dil*(R-1) - 1) / stride) + 1`);
 * 0 when the dilated kernel does not fit the padded input.
 * @example
 * conv2dOutputSize({ n: 1, c: 3, h: 224, w: 224, k: 64, r: 7, s: 7, stride: 2, padding: 3 }); // { p: 112, q: 112 }
 */
export function conv2dOutputSize(shape: Conv2dShape): { p: number; q: number } {
  const [, , h, w, , r, s, sh, sw, ph, pw, dh, dw] = sizes(shape);
  const out = (size: number, kernelSize: number, stride: number, pad: number, dil: number): number => {
    const span = size + 2 * pad - dil * (kernelSize - 1) - 1;
    return span < 0 ? 0 : Math.floor(span / stride) + 1;
  };
  return { p: out(h, r, sh, ph, dh), q: out(w, s, sw, pw, dw) };
}

/**
 * Convolution forward, `y = conv(x, weight) + bias`, written into `y`.
 * @example
 * const x = new Float32Array(1 * 1 * 3 * 3).fill(1), weight = new Float32Array(2 * 1 * 2 * 2).fill(0.5);
 * const y = new Float32Array(1 * 2 * 2 * 2);
 * conv2dForward({ n: 1, c: 1, h: 3, w: 3, k: 2, r: 2, s: 2, x, weight, y }); // every y = 2
 */
export function conv2dForward(args: Conv2dForwardArgs, impl: Impl = 'cpu'): void {
  kernel<RawForward>('conv2dForward', impl)(...sizes(args), args.x, args.weight, args.bias ?? null, args.y);
}

/**
 * Gradient of the input, `dx = convᵀ(dy, weight)`, written into `dx`.
 * @example
 * const dy = new Float32Array(1 * 2 * 2 * 2).fill(1), weight = new Float32Array(2 * 1 * 2 * 2).fill(0.5);
 * const dx = new Float32Array(1 * 1 * 3 * 3);
 * conv2dBackwardData({ n: 1, c: 1, h: 3, w: 3, k: 2, r: 2, s: 2, dy, weight, dx }); // centre of dx = 4
 */
export function conv2dBackwardData(args: Conv2dBackwardDataArgs, impl: Impl = 'cpu'): void {
  kernel<RawBackwardData>('conv2dBackwardData', impl)(...sizes(args), args.dy, args.weight, args.dx);
}

/**
 * Gradients of the filters (summed over the batch) and, when `dbias` is given, of the bias.
 * @example
 * const x = new Float32Array(1 * 1 * 3 * 3).fill(1), dy = new Float32Array(1 * 2 * 2 * 2).fill(1);
 * const dw = new Float32Array(2 * 1 * 2 * 2), dbias = new Float32Array(2);
 * conv2dBackwardWeight({ n: 1, c: 1, h: 3, w: 3, k: 2, r: 2, s: 2, x, dy, dw, dbias }); // dw = 4, dbias = 4
 */
export function conv2dBackwardWeight(args: Conv2dBackwardWeightArgs, impl: Impl = 'cpu'): void {
  kernel<RawBackwardWeight>('conv2dBackwardWeight', impl)(...sizes(args), args.x, args.dy, args.dw, args.dbias ?? null);
}
