/**
 * 2-D convolution (cross-correlation, NCHW) and the fully connected `linear`.
 * x (N,C,H,W), w (K,C/G,R,S), bias (K), y (N,K,P,Q).
 */
import { needsGrad, record } from '../autograd/graph.js';
import { backendFor, type Conv2dSizes } from '../tensor/backend.js';
import { shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { add, checkFloat } from './elementwise.js';
import { matmul } from './matmul.js';
import { contiguous, transpose } from './views.js';

/** A size given once for both spatial dims, or as [height, width]. */
export type Size2 = number | readonly [number, number];

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  groups?: number;
}

/**
 * [h, w] from a size given once or as a pair, checked to be integers >= min.
 * @example
 * pair2('conv2d', 'stride', 2, 1); // [2, 2]
 */
export function pair2(op: string, name: string, v: Size2, min: number): [number, number] {
  const [a, b] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < min || b < min) {
    throw new Error(`${op}: ${name} must be integers >= ${min} (got ${JSON.stringify(v)})`);
  }
  return [a, b];
}

function conv2dSizes(x: Tensor, w: Tensor, bias: Tensor | null | undefined, o: Conv2dOptions): Conv2dSizes {
  if (x.ndim !== 4) throw new Error(`conv2d: input must be 4-D (N,C,H,W) (got shape ${shapeString(x.shape)})`);
  if (w.ndim !== 4) throw new Error(`conv2d: weight must be 4-D (K,C/G,R,S) (got shape ${shapeString(w.shape)})`);
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2d: groups must be an integer >= 1 (got ${groups})`);
  const [n, c, h, wd] = x.shape;
  const [k, cg, r, s] = w.shape;
  if (c % groups !== 0 || k % groups !== 0 || cg !== c / groups) {
    throw new Error(`conv2d: input ${shapeString(x.shape)} and weight ${shapeString(w.shape)} do not match with groups=${groups} (weight dim 1 must be C/groups)`);
  }
  if (bias != null && (bias.ndim !== 1 || bias.shape[0] !== k)) {
    throw new Error(`conv2d: bias shape ${shapeString(bias.shape)} does not match ${k} output channels`);
  }
  const [strideH, strideW] = pair2('conv2d', 'stride', o.stride ?? 1, 1);
  const [padH, padW] = pair2('conv2d', 'padding', o.padding ?? 0, 0);
  const [dilH, dilW] = pair2('conv2d', 'dilation', o.dilation ?? 1, 1);
  return { n, c, h, w: wd, k, r, s, strideH, strideW, padH, padW, dilH, dilW, groups };
}

function outSize(size: number, kernel: number, stride: number, pad: number, dil: number): number {
  const span = size + 2 * pad - dil * (kernel - 1) - 1;
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/**
 * 2-D convolution with stride, padding, dilation and groups.
 * @example
 * conv2d(x, weight, bias, { stride: 1, padding: 1 }); // (N,C,H,W) * (K,C,3,3) -> (N,K,H,W)
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  checkFloat('conv2d', x);
  checkFloat('conv2d', weight);
  if (bias != null) checkFloat('conv2d', bias);
  const p = conv2dSizes(x, weight, bias, options);
  const P = outSize(p.h, p.r, p.strideH, p.padH, p.dilH);
  const Q = outSize(p.w, p.s, p.strideW, p.padW, p.dilW);
  if (P === 0 || Q === 0) {
    throw new Error(`conv2d: the kernel ${shapeString(weight.shape)} does not fit the padded input ${shapeString(x.shape)}`);
  }
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const wc = contiguous(weight);
  const bc = bias == null ? null : contiguous(bias);
  const y = empty([p.n, p.k, P, Q], { device: x.device });
  backend.conv2d(p, xc, wc, bc, y);
  if (needsGrad(x, weight, bias)) {
    const [rx, rw, rb] = [x.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false];
    record('conv2d', y, [x, weight, bias], (gy, [sx, sw]) => {
      const g = contiguous(gy);
      let dx: Tensor | null = null;
      let dw: Tensor | null = null;
      let db: Tensor | null = null;
      if (rx) {
        dx = empty(sx.shape, { device: sx.device });
        backend.conv2dBackwardData(p, g, sw, dx);
      }
      if (rw || rb) {
        dw = empty(sw.shape, { device: sw.device });
        db = rb ? empty([p.k], { device: sw.device }) : null;
        backend.conv2dBackwardWeight(p, sx, g, dw, db);
        if (!rw) {
          dw.dispose();
          dw = null;
        }
      }
      if (g !== gy) g.dispose();
      return [dx, dw, db];
    }, [xc, wc]);
  }
  for (const [c, o] of [[xc, x], [wc, weight], [bc, bias]] as const) if (c !== null && c !== o) c.dispose();
  return y;
}

/**
 * y = x @ weightᵀ + bias, x (..., in), weight (out, in), bias (out). The transpose is a GEMM flag, not a copy.
 * @example
 * linear(x, w, b);
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkFloat('linear', x);
  checkFloat('linear', weight);
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D (out, in) (got shape ${shapeString(weight.shape)})`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${shapeString(x.shape)} does not match weight ${shapeString(weight.shape)} (last dim must be ${weight.shape[1]})`);
  }
  if (bias != null && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new Error(`linear: bias shape ${shapeString(bias.shape)} does not match weight ${shapeString(weight.shape)}`);
  }
  const wt = transpose(weight, 0, 1);
  const y = matmul(x, wt);
  wt.dispose();
  if (bias == null) return y;
  const out = add(y, bias);
  y.dispose();
  return out;
}
