/**
 * 2-D pooling over x (N,C,H,W) -> y (N,C,P,Q): max (with argmax indices for backward), average and
 * adaptive average, with PyTorch's output-size rules.
 */
import { record } from '../autograd/graph.js';
import { backendFor, type Pool2dSizes } from '../tensor/backend.js';
import { shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { checkFloat } from './elementwise.js';
import { pair2, type Size2 } from './conv2d.js';
import { contiguous } from './views.js';

/** Options of {@link maxPool2d} and {@link avgPool2d}. */
export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2;
  padding?: Size2;
  /** Max pooling only. */
  dilation?: Size2;
  ceilMode?: boolean;
  /** Average pooling only: count padded cells in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function poolOut(size: number, k: number, stride: number, pad: number, dil: number, ceil: boolean): number {
  const span = size + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

function poolSizes(op: string, x: Tensor, kernelSize: Size2, o: Pool2dOptions): Pool2dSizes {
  checkFloat(op, x);
  if (x.ndim !== 4) throw new Error(`${op}: input must be 4-D (N,C,H,W) (got shape ${shapeString(x.shape)})`);
  const [kernelH, kernelW] = pair2(op, 'kernelSize', kernelSize, 1);
  const [strideH, strideW] = pair2(op, 'stride', o.stride ?? kernelSize, 1);
  const [padH, padW] = pair2(op, 'padding', o.padding ?? 0, 0);
  const [dilH, dilW] = pair2(op, 'dilation', o.dilation ?? 1, 1);
  if (padH * 2 > kernelH || padW * 2 > kernelW) {
    throw new Error(`${op}: padding ${padH}x${padW} must be at most half the kernel ${kernelH}x${kernelW}`);
  }
  const [n, c, h, w] = x.shape;
  const ceilMode = o.ceilMode ?? false;
  const p = poolOut(h, kernelH, strideH, padH, dilH, ceilMode);
  const q = poolOut(w, kernelW, strideW, padW, dilW, ceilMode);
  if (p <= 0 || q <= 0) throw new Error(`${op}: the window ${kernelH}x${kernelW} does not fit the input ${shapeString(x.shape)}`);
  return {
    n, c, h, w, p, q, kernelH, kernelW, strideH, strideW, padH, padW, dilH, dilW,
    countIncludePad: o.countIncludePad ?? true, ceilMode,
  };
}

/**
 * Max pooling; the gradient goes to the argmax of each window.
 * @example
 * maxPool2d(x, 2); // halves H and W
 */
export function maxPool2d(x: Tensor, kernelSize: Size2, options: Pool2dOptions = {}): Tensor {
  const p = poolSizes('maxPool2d', x, kernelSize, options);
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty([p.n, p.c, p.p, p.q], { device: x.device });
  const indices = empty([p.n, p.c, p.p, p.q], { dtype: 'int32', device: x.device });
  backend.maxPool2d(p, xc, y, indices);
  if (xc !== x) xc.dispose();
  record('maxPool2d', y, [x], (gy, [si]) => {
    const g = contiguous(gy);
    const dx = empty([p.n, p.c, p.h, p.w], { device: gy.device });
    backend.maxPool2dBackward(p, g, si, dx);
    if (g !== gy) g.dispose();
    return [dx];
  }, [indices]);
  indices.dispose();
  return y;
}

/**
 * Average pooling (no dilation).
 * @example
 * avgPool2d(x, 2, { stride: 2 });
 */
export function avgPool2d(x: Tensor, kernelSize: Size2, options: Pool2dOptions = {}): Tensor {
  if (options.dilation !== undefined) throw new Error('avgPool2d: dilation is not supported (as in PyTorch)');
  const p = poolSizes('avgPool2d', x, kernelSize, options);
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty([p.n, p.c, p.p, p.q], { device: x.device });
  backend.avgPool2d(p, xc, y);
  if (xc !== x) xc.dispose();
  return record('avgPool2d', y, [x], (gy) => {
    const g = contiguous(gy);
    const dx = empty([p.n, p.c, p.h, p.w], { device: gy.device });
    backend.avgPool2dBackward(p, g, dx);
    if (g !== gy) g.dispose();
    return [dx];
  });
}

/**
 * Average pooling to a fixed output size (1 = global average pooling).
 * @example
 * adaptiveAvgPool2d(features, 1); // (N,C,1,1)
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Size2): Tensor {
  checkFloat('adaptiveAvgPool2d', x);
  if (x.ndim !== 4) throw new Error(`adaptiveAvgPool2d: input must be 4-D (N,C,H,W) (got shape ${shapeString(x.shape)})`);
  const [P, Q] = pair2('adaptiveAvgPool2d', 'outputSize', outputSize, 1);
  const [n, c, h, w] = x.shape;
  if ((h === 0 || w === 0) && n * c > 0) throw new Error(`adaptiveAvgPool2d: input ${shapeString(x.shape)} has an empty plane`);
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty([n, c, P, Q], { device: x.device });
  backend.adaptiveAvgPool2d(n, c, h, w, P, Q, xc, y);
  if (xc !== x) xc.dispose();
  return record('adaptiveAvgPool2d', y, [x], (gy) => {
    const g = contiguous(gy);
    const dx = empty([n, c, h, w], { device: gy.device });
    backend.adaptiveAvgPool2dBackward(n, c, h, w, P, Q, g, dx);
    if (g !== gy) g.dispose();
    return [dx];
  });
}
