/**
 * Losses: cross-entropy (fused log-softmax + NLL kernel, hard or soft targets, label smoothing,
 * class weights, ignoreIndex), NLL on log-probabilities, mean squared error, binary cross-entropy
 * with logits (fused kernel), and one-hot encoding.
 */
import { needsGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { numel, sameShape, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { toDType } from './cast.js';
import { ne, where } from './compare.js';
import { empty, tensor } from './creation.js';
import { binaryRaw, checkFloat, div, mul, neg, sub } from './elementwise.js';
import { gather, indexSelect } from './indexing.js';
import { mean, sum } from './reduce.js';
import { contiguous, permute, reshape } from './views.js';

/** How per-sample losses are combined. */
export type Reduction = 'none' | 'mean' | 'sum';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** (C) class weights. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (hard targets only). Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** Mixes the target with the uniform distribution: (1-eps) * target + eps / C. */
  labelSmoothing?: number;
}

/** Logits (N, C, d1, ...) as (N*d1*..., C) rows, and the target likewise. */
function rowsOf(logits: Tensor, target: Tensor, soft: boolean): { rows: Tensor; tgt: Tensor; lead: number[] } {
  if (logits.ndim === 2) return { rows: logits, tgt: target, lead: [logits.shape[0]] };
  const c = logits.shape[1];
  const order = [0, ...Array.from({ length: logits.ndim - 2 }, (_, i) => i + 2), 1];
  const moved = permute(logits, order);
  const rows = reshape(moved, [-1, c]);
  moved.dispose();
  let tgt = target;
  if (soft) {
    const tm = permute(target, order);
    tgt = reshape(tm, [-1, c]);
    tm.dispose();
  } else {
    tgt = reshape(target, [-1]);
  }
  return { rows, tgt, lead: [logits.shape[0], ...logits.shape.slice(2)] };
}

/**
 * Cross-entropy of logits (N, C) or (N, C, d1, ...) against class indices (N, d1, ...) (int32/int64)
 * or class probabilities of the logits' shape (float32).
 * @example
 * crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkFloat('crossEntropy', logits);
  target.assertAlive('crossEntropy');
  if (logits.ndim < 2) throw new Error(`crossEntropy: logits must be (N, C, ...) (got shape ${shapeString(logits.shape)})`);
  const soft = target.dtype === 'float32';
  const c = logits.shape[1];
  const expected = soft ? logits.shape : [logits.shape[0], ...logits.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new Error(`crossEntropy: target shape ${shapeString(target.shape)} does not match logits ${shapeString(logits.shape)} (expected ${shapeString(expected)})`);
  }
  const weight = options.weight ?? null;
  if (weight !== null && (weight.ndim !== 1 || weight.shape[0] !== c)) {
    throw new Error(`crossEntropy: weight shape ${shapeString(weight.shape)} does not match ${c} classes`);
  }
  const reduction = options.reduction ?? 'mean';
  const { rows, tgt, lead } = rowsOf(logits, target, soft);
  const n = rows.shape[0];
  const lc = contiguous(rows);
  const t = soft ? contiguous(tgt) : contiguous(toDType(tgt, 'int32'));
  const wc = weight === null ? null : contiguous(weight);
  const losses = empty(reduction === 'none' ? [n] : [], { device: logits.device });
  const wantGrad = needsGrad(logits);
  const dlogits = wantGrad ? empty([n, c], { device: logits.device }) : undefined;
  const backend = backendFor(logits.device);
  try {
    backend.crossEntropy({
      logits: lc, n, c, targets: soft ? undefined : t, softTargets: soft ? t : undefined, weights: wc ?? undefined,
      labelSmoothing: options.labelSmoothing ?? 0, ignoreIndex: options.ignoreIndex ?? -100, reduction, losses, dlogits,
    });
  } finally {
    for (const [a, b] of [[lc, rows], [t, tgt], [wc, weight]] as const) if (a !== null && a !== b) a.dispose();
    if (tgt !== target) tgt.dispose();
    if (rows !== logits) rows.dispose();
  }
  let out = losses;
  if (reduction === 'none' && lead.length > 1) {
    out = reshape(losses, lead);
    losses.dispose();
  }
  if (dlogits !== undefined) {
    const ls = logits.shape;
    record('crossEntropy', out, [logits], (gy, [sd]) => {
      // dlogits is the gradient for a unit upstream gradient; scale it by gy (per row for 'none').
      const g = reduction === 'none' ? reshape(gy, [n, 1]) : gy.alias();
      const scaled = binaryRaw('mul', sd, g);
      g.dispose();
      if (ls.length === 2) return [scaled];
      const back = reshape(scaled, [...lead, c]);
      const order = [0, ls.length - 1, ...Array.from({ length: ls.length - 2 }, (_, i) => i + 1)];
      const dx = permute(back, order);
      back.dispose();
      scaled.dispose();
      return [dx];
    }, [dlogits]);
    dlogits.dispose();
  }
  return out;
}

/** Options of {@link nllLoss}. */
export interface NllLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/**
 * Negative log-likelihood of log-probabilities (N, C) at class indices (N): -logp[n, t_n] * w[t_n];
 * 'mean' divides by the sum of the weights of the non-ignored samples (as PyTorch). On the CPU a target
 * outside [0, C) that is not ignoreIndex throws; on a GPU the targets are not read back (a step does not
 * wait for them), and such a target gives its sample a NaN loss instead, as {@link crossEntropy} does.
 * @example
 * nllLoss(logSoftmax(logits, 1), labels);
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  checkFloat('nllLoss', logProbs);
  if (logProbs.ndim !== 2 || target.ndim !== 1 || target.shape[0] !== logProbs.shape[0]) {
    throw new Error(`nllLoss: expected logProbs (N, C) and target (N) (got ${shapeString(logProbs.shape)} and ${shapeString(target.shape)})`);
  }
  const [n, c] = logProbs.shape;
  const ignore = options.ignoreIndex ?? -100;
  if (options.weight && options.weight.numel !== c) throw new Error(`nllLoss: weight has ${options.weight.numel} entries for ${c} classes`);
  if (logProbs.device !== 'cpu' && c <= 2 ** 24) {
    return nllLossOnDevice(logProbs, target, options.weight ?? null, ignore, options.reduction ?? 'mean');
  }
  const weights = options.weight ? toDType(options.weight, 'float32').dataSync<'float32'>() : null;
  // Per-sample bookkeeping over the N labels: safe indices and -w[t] factors (0 where ignored).
  const labels = toDType(target, 'int32');
  const lab = labels.dataSync<'int32'>();
  const safe = new Int32Array(n);
  const factor = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = lab[i];
    if (t === ignore) continue;
    if (t < 0 || t >= c) throw new Error(`nllLoss: target ${t} at sample ${i} is outside [0, ${c}) and is not ignoreIndex (${ignore})`);
    safe[i] = t;
    const w = weights === null ? 1 : weights[t];
    factor[i] = -w;
    total += w;
  }
  if (labels !== target) labels.dispose();
  // On a GPU the labels were read back above (nllLoss checks them on the host; crossEntropy does not wait).
  const idx = tensor(safe, { shape: [n, 1], device: logProbs.device });
  const f = tensor(factor, { shape: [n, 1], device: logProbs.device });
  const picked = gather(logProbs, 1, idx);
  const per = mul(picked, f);
  [idx, f, picked].forEach((x) => x.dispose());
  const reduction = options.reduction ?? 'mean';
  let out: Tensor;
  if (reduction === 'none') out = reshape(per, [n]);
  else if (reduction === 'sum') out = sum(per);
  else {
    const s = sum(per);
    out = s.div(total);
    s.dispose();
  }
  if (out !== per) per.dispose();
  return out;
}

// nllLoss with the labels left where logProbs is. Labels pass through float32 (exact below 2^24, so the
// caller keeps C <= 2^24: a larger label still rounds to one outside [0, C)). An ignored sample picks
// class 0 with weight 0, and `where` gives it a loss of exactly 0 (and no gradient) even where that
// log-probability is -inf; a target outside [0, C) makes gather and indexSelect give NaN.
function nllLossOnDevice(logProbs: Tensor, target: Tensor, weight: Tensor | null, ignore: number, reduction: Reduction): Tensor {
  const [n] = logProbs.shape;
  return tidy(() => {
    const labels = toDType(target.to(logProbs.device), 'float32');
    const counted = ne(labels, ignore);
    const safe = toDType(mul(labels, counted), 'int32');
    const picked = reshape(gather(logProbs, 1, reshape(safe, [n, 1])), [n]);
    const w = weight === null ? counted : mul(indexSelect(toDType(weight.detach().to(logProbs.device), 'float32'), 0, safe), counted);
    const per = where(counted, neg(mul(picked, w)), 0);
    if (reduction === 'none') return per;
    return reduction === 'sum' ? sum(per) : div(sum(per), sum(w));
  });
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return x;
  const r = reduction === 'sum' ? sum(x) : mean(x);
  x.dispose();
  return r;
}

/**
 * Mean squared error (input - target)^2 with broadcasting.
 * @example
 * mseLoss(pred, target);
 */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  const d = sub(input, target);
  const sq = mul(d, d);
  d.dispose();
  return reduce(sq, reduction);
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BceOptions {
  /** Elementwise weights (broadcast to the input). */
  weight?: Tensor | null;
  /** (C) weights of the positive term per class (the last dim). */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits (stable: log1p(exp(-|x|)) form), targets in [0, 1] of the same shape.
 * @example
 * binaryCrossEntropyWithLogits(logits, targets, { posWeight });
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  checkFloat('binaryCrossEntropyWithLogits', logits);
  checkFloat('binaryCrossEntropyWithLogits', target);
  if (!sameShape(logits.shape, target.shape)) {
    throw new Error(`binaryCrossEntropyWithLogits: target shape ${shapeString(target.shape)} does not match logits ${shapeString(logits.shape)}`);
  }
  const reduction = options.reduction ?? 'mean';
  const weight = options.weight ?? null;
  const kernelReduction: Reduction = weight === null ? reduction : 'none';
  const c = logits.ndim === 0 ? 1 : logits.shape[logits.ndim - 1];
  const n = c === 0 ? 0 : numel(logits.shape) / c;
  const pw = options.posWeight ?? null;
  if (pw !== null && (pw.numel !== c)) throw new Error(`binaryCrossEntropyWithLogits: posWeight shape ${shapeString(pw.shape)} does not match the last dim ${c}`);
  const lc = contiguous(logits);
  const tc = contiguous(target);
  const pc = pw === null ? null : contiguous(pw);
  const losses = empty(kernelReduction === 'none' ? logits.shape : [], { device: logits.device });
  const wantGrad = needsGrad(logits);
  const dlogits = wantGrad ? empty(logits.shape, { device: logits.device }) : undefined;
  backendFor(logits.device).bceWithLogits({ logits: lc, targets: tc, n, c, posWeight: pc ?? undefined, reduction: kernelReduction, losses, dlogits });
  for (const [a, b] of [[lc, logits], [tc, target], [pc, pw]] as const) if (a !== null && a !== b) a.dispose();
  if (dlogits !== undefined) {
    record('binaryCrossEntropyWithLogits', losses, [logits], (gy, [sd]) => [binaryRaw('mul', sd, gy)], [dlogits]);
    dlogits.dispose();
  }
  if (weight === null) return losses;
  const weighted = mul(losses, weight);
  losses.dispose();
  return reduce(weighted, reduction);
}

/**
 * One-hot float32 encoding of integer labels: shape (...labels.shape, numClasses).
 * @example
 * oneHot(tensor([0, 2], { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  labels.assertAlive('oneHot');
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`oneHot: numClasses must be an integer >= 1 (got ${numClasses})`);
  if (labels.dtype !== 'int32' && labels.dtype !== 'int64' && labels.dtype !== 'uint8') {
    throw new Error(`oneHot: labels must be integers (got ${labels.dtype})`);
  }
  const l32 = toDType(labels, 'int32');
  const lc = contiguous(l32);
  const out = empty([...labels.shape, numClasses], { device: labels.device });
  try {
    backendFor(labels.device).oneHot(lc, numClasses, out);
  } catch (err) {
    out.dispose();
    throw err;
  } finally {
    if (lc !== l32) lc.dispose();
    if (l32 !== labels) l32.dispose();
  }
  return out;
}
