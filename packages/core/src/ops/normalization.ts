/**
 * Batch norm over x (N,C,*) with per-channel statistics, and layer norm over the trailing dims.
 */
import { needsGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { numel, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { checkFloat } from './elementwise.js';
import { contiguous } from './views.js';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Normalise with the batch statistics (and update the running ones). Default false: use the running statistics. */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

function checkVector(op: string, name: string, t: Tensor | null | undefined, c: number): void {
  if (t == null) return;
  checkFloat(op, t);
  if (t.ndim !== 1 || t.shape[0] !== c) throw new Error(`${op}: ${name} shape ${shapeString(t.shape)} does not match ${c} channels`);
  if (!t.isContiguous()) throw new Error(`${op}: ${name} must be contiguous`);
}

/**
 * Batch normalisation. Training mode normalises with the batch statistics and updates `runningMean`
 * and `runningVar` in place (when given); eval mode uses the running statistics, whose gradient
 * treats them as constants (frozen batch norm, as when fine-tuning).
 * @example
 * batchNorm(x, bn.runningMean, bn.runningVar, bn.weight, bn.bias, { training: true });
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null, bias?: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  checkFloat('batchNorm', x);
  if (x.ndim < 2) throw new Error(`batchNorm: input must be (N, C, ...) (got shape ${shapeString(x.shape)})`);
  const [n, c] = x.shape;
  const hw = numel(x.shape.slice(2));
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    checkVector('batchNorm', name, t, c);
  }
  const training = options.training ?? false;
  const eps = options.eps ?? 1e-5;
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty(x.shape, { device: x.device });
  const gamma = weight ?? null;
  const beta = bias ?? null;
  const [rx, rg, rb] = [x.requiresGrad, gamma?.requiresGrad ?? false, beta?.requiresGrad ?? false];
  const xs = x.shape;
  const grads = (dy: Tensor): { dx: Tensor | null; dgamma: Tensor | null; dbeta: Tensor | null } => ({
    dx: rx ? empty(xs, { device: dy.device }) : null,
    dgamma: rg ? empty([c], { device: dy.device }) : null,
    dbeta: rb ? empty([c], { device: dy.device }) : null,
  });
  if (training) {
    if (n * hw <= 1) throw new Error(`batchNorm: training needs more than one value per channel (input shape ${shapeString(x.shape)})`);
    const saveMean = empty([c], { device: x.device });
    const saveInvstd = empty([c], { device: x.device });
    backend.batchNormTrain({
      n, c, hw, momentum: options.momentum ?? 0.1, eps, x: xc, gamma, beta, runningMean, runningVar, y, saveMean, saveInvstd,
    });
    if (needsGrad(x, gamma, beta)) {
      record('batchNorm', y, [x, gamma, beta], (gy, [sx, sm, si, sg]) => {
        const g = contiguous(gy);
        const out = grads(g);
        backend.batchNormBackward({ n, c, hw, x: sx, dy: g, gamma: gamma ? sg : null, saveMean: sm, saveInvstd: si, ...out });
        if (g !== gy) g.dispose();
        return [out.dx, out.dgamma, out.dbeta];
      }, gamma ? [xc, saveMean, saveInvstd, gamma] : [xc, saveMean, saveInvstd]);
    }
    saveMean.dispose();
    saveInvstd.dispose();
  } else {
    if (runningMean == null || runningVar == null) throw new Error('batchNorm: eval mode needs runningMean and runningVar');
    backend.batchNormEval({ n, c, hw, eps, x: xc, gamma, beta, runningMean, runningVar, y });
    if (needsGrad(x, gamma, beta)) {
      record('batchNorm', y, [x, gamma, beta], (gy, [sx, sm, sv, sg]) => {
        const g = contiguous(gy);
        const out = grads(g);
        backend.batchNormBackwardEval({ n, c, hw, eps, x: sx, dy: g, gamma: gamma ? sg : null, runningMean: sm, runningVar: sv, ...out });
        if (g !== gy) g.dispose();
        return [out.dx, out.dgamma, out.dbeta];
      }, gamma ? [xc, runningMean, runningVar, gamma] : [xc, runningMean, runningVar]);
    }
  }
  if (xc !== x) xc.dispose();
  return y;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims, with optional elementwise affine.
 * @example
 * layerNorm(x, [512], ln.weight, ln.bias);
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkFloat('layerNorm', x);
  const k = normalizedShape.length;
  if (k > x.ndim || normalizedShape.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw new Error(`layerNorm: normalizedShape ${shapeString(normalizedShape)} does not match the end of the input shape ${shapeString(x.shape)}`);
  }
  const d = numel(normalizedShape);
  const rows = d === 0 ? 0 : x.numel / d;
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t == null) continue;
    checkFloat('layerNorm', t);
    if (t.numel !== d || !t.isContiguous()) throw new Error(`layerNorm: ${name} shape ${shapeString(t.shape)} does not match ${shapeString(normalizedShape)}`);
  }
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty(x.shape, { device: x.device });
  const saveMean = empty([rows], { device: x.device });
  const saveInvstd = empty([rows], { device: x.device });
  const gamma = weight ?? null;
  const beta = bias ?? null;
  backend.layerNorm({ rows, d, eps, x: xc, gamma, beta, y, saveMean, saveInvstd });
  if (needsGrad(x, gamma, beta)) {
    const [rx, rg, rb] = [x.requiresGrad, gamma?.requiresGrad ?? false, beta?.requiresGrad ?? false];
    const wShape = gamma?.shape ?? beta?.shape ?? normalizedShape;
    record('layerNorm', y, [x, gamma, beta], (gy, [sx, sm, si, sg]) => {
      const g = contiguous(gy);
      const dx = rx ? empty(sx.shape, { device: g.device }) : null;
      const dgamma = rg ? empty(wShape, { device: g.device }) : null;
      const dbeta = rb ? empty(beta?.shape ?? wShape, { device: g.device }) : null;
      backend.layerNormBackward({ rows, d, x: sx, dy: g, gamma: gamma ? sg : null, saveMean: sm, saveInvstd: si, dx, dgamma, dbeta });
      if (g !== gy) g.dispose();
      return [dx, dgamma, dbeta];
    }, gamma ? [xc, saveMean, saveInvstd, gamma] : [xc, saveMean, saveInvstd]);
  }
  saveMean.dispose();
  saveInvstd.dispose();
  if (xc !== x) xc.dispose();
  return y;
}
