/**
 * Normalisation kernels: batch norm over x (N, C, HW) and layer norm over x (rows, D), float32, in place
 * into caller-provided outputs. Statistics accumulate in double in a fixed order, so results do not depend
 * on the thread count. Optional `gamma` means 1, optional `beta` means 0.
 */
import { kernel, type Impl } from '../addon.js';

/** Arguments of {@link batchNormTrain}. x and y are (N, C, HW) contiguous; per-channel arrays are (C). */
export interface BatchNormTrainArgs {
  x: Float32Array;
  n: number;
  c: number;
  /** Values per channel and sample: 1 or L for BatchNorm1d, H*W for BatchNorm2d. */
  hw: number;
  gamma?: Float32Array;
  beta?: Float32Array;
  /** Updated in place: (1 - momentum) * running + momentum * batch mean. */
  runningMean?: Float32Array;
  /** Updated in place with the unbiased batch variance. */
  runningVar?: Float32Array;
  momentum: number;
  eps: number;
  y: Float32Array;
  /** Receives the batch mean (C). */
  saveMean: Float32Array;
  /** Receives 1 / sqrt(biased batch variance + eps) (C). */
  saveInvStd: Float32Array;
}

/** Arguments of {@link batchNormEval}. */
export interface BatchNormEvalArgs {
  x: Float32Array;
  n: number;
  c: number;
  hw: number;
  gamma?: Float32Array;
  beta?: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  eps: number;
  y: Float32Array;
}

/** Arguments of {@link batchNormBackward}. Outputs that are absent are not computed. */
export interface BatchNormBackwardArgs {
  x: Float32Array;
  dy: Float32Array;
  n: number;
  c: number;
  hw: number;
  gamma?: Float32Array;
  saveMean: Float32Array;
  saveInvStd: Float32Array;
  dx?: Float32Array;
  dgamma?: Float32Array;
  dbeta?: Float32Array;
}

/** Arguments of {@link batchNormBackwardEval}. `dgamma` needs `x` and `runningMean`. */
export interface BatchNormBackwardEvalArgs {
  dy: Float32Array;
  n: number;
  c: number;
  hw: number;
  gamma?: Float32Array;
  runningVar: Float32Array;
  eps: number;
  dx?: Float32Array;
  dgamma?: Float32Array;
  dbeta?: Float32Array;
  x?: Float32Array;
  runningMean?: Float32Array;
}

/** Arguments of {@link layerNorm}. x and y are (rows, D); gamma and beta are (D); saved stats are (rows). */
export interface LayerNormArgs {
  x: Float32Array;
  rows: number;
  d: number;
  gamma?: Float32Array;
  beta?: Float32Array;
  eps: number;
  y: Float32Array;
  saveMean: Float32Array;
  saveInvStd: Float32Array;
}

/** Arguments of {@link layerNormBackward}. Outputs that are absent are not computed. */
export interface LayerNormBackwardArgs {
  x: Float32Array;
  dy: Float32Array;
  rows: number;
  d: number;
  gamma?: Float32Array;
  saveMean: Float32Array;
  saveInvStd: Float32Array;
  dx?: Float32Array;
  dgamma?: Float32Array;
  dbeta?: Float32Array;
}

type F32 = Float32Array | undefined;
type RawTrain = (x: Float32Array, n: number, c: number, hw: number, gamma: F32, beta: F32, runningMean: F32,
  runningVar: F32, momentum: number, eps: number, y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array) => void;
type RawEval = (x: Float32Array, n: number, c: number, hw: number, gamma: F32, beta: F32, runningMean: Float32Array,
  runningVar: Float32Array, eps: number, y: Float32Array) => void;
type RawBackward = (x: Float32Array, dy: Float32Array, n: number, c: number, hw: number, gamma: F32,
  saveMean: Float32Array, saveInvStd: Float32Array, dx: F32, dgamma: F32, dbeta: F32) => void;
type RawBackwardEval = (dy: Float32Array, n: number, c: number, hw: number, gamma: F32, runningVar: Float32Array,
  eps: number, dx: F32, dgamma: F32, dbeta: F32, x: F32, runningMean: F32) => void;
type RawLayerNorm = (x: Float32Array, rows: number, d: number, gamma: F32, beta: F32, eps: number, y: Float32Array,
  saveMean: Float32Array, saveInvStd: Float32Array) => void;
type RawLayerNormBackward = (x: Float32Array, dy: Float32Array, rows: number, d: number, gamma: F32,
  saveMean: Float32Array, saveInvStd: Float32Array, dx: F32, dgamma: F32, dbeta: F32) => void;

/**
 * Training-mode batch norm forward: normalises with the batch statistics (biased variance), updates the
 * running statistics in place as PyTorch does (unbiased variance for `runningVar`) and saves the mean and
 * inverse standard deviation for {@link batchNormBackward}. Throws when N*HW == 1.
 * @example
 * const x = Float32Array.from([1, 2, 3, 4]); // (N=2, C=1, HW=2)
 * const y = new Float32Array(4), saveMean = new Float32Array(1), saveInvStd = new Float32Array(1);
 * batchNormTrain({ x, n: 2, c: 1, hw: 2, momentum: 0.1, eps: 1e-5, y, saveMean, saveInvStd }); // saveMean[0] = 2.5
 */
export function batchNormTrain(args: BatchNormTrainArgs, impl: Impl = 'cpu'): void {
  kernel<RawTrain>('batchNormTrain', impl)(
    args.x, args.n, args.c, args.hw, args.gamma, args.beta, args.runningMean, args.runningVar, args.momentum,
    args.eps, args.y, args.saveMean, args.saveInvStd,
  );
}

/**
 * Inference-mode batch norm: `y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta`.
 * @example
 * const y = new Float32Array(2);
 * batchNormEval({ x: Float32Array.from([1, 3]), n: 2, c: 1, hw: 1, runningMean: Float32Array.of(1),
 *   runningVar: Float32Array.of(4), eps: 0, y }); // y = [0, 1]
 */
export function batchNormEval(args: BatchNormEvalArgs, impl: Impl = 'cpu'): void {
  kernel<RawEval>('batchNormEval', impl)(
    args.x, args.n, args.c, args.hw, args.gamma, args.beta, args.runningMean, args.runningVar, args.eps, args.y,
  );
}

/**
 * Training-mode batch norm backward (the batch statistics depend on x), from the saved mean and inverse std.
 * @example
 * batchNormBackward({ x, dy, n, c, hw, gamma, saveMean, saveInvStd, dx, dgamma, dbeta });
 */
export function batchNormBackward(args: BatchNormBackwardArgs, impl: Impl = 'cpu'): void {
  kernel<RawBackward>('batchNormBackward', impl)(
    args.x, args.dy, args.n, args.c, args.hw, args.gamma, args.saveMean, args.saveInvStd, args.dx, args.dgamma,
    args.dbeta,
  );
}

/**
 * Batch norm backward with the running statistics held constant (frozen batch norm, as in fine-tuning):
 * `dx = dy * gamma / sqrt(runningVar + eps)`; `dgamma` needs `x` and `runningMean`.
 * @example
 * batchNormBackwardEval({ dy, n, c, hw, gamma, runningVar, eps: 1e-5, dx, dbeta });
 */
export function batchNormBackwardEval(args: BatchNormBackwardEvalArgs, impl: Impl = 'cpu'): void {
  kernel<RawBackwardEval>('batchNormBackwardEval', impl)(
    args.dy, args.n, args.c, args.hw, args.gamma, args.runningVar, args.eps, args.dx, args.dgamma, args.dbeta,
    args.x, args.runningMean,
  );
}

/**
 * Layer norm forward over the last D values of each row (biased variance); saves mean and inverse std per row.
 * @example
 * const y = new Float32Array(4), saveMean = new Float32Array(2), saveInvStd = new Float32Array(2);
 * layerNorm({ x: Float32Array.from([1, 3, 5, 5]), rows: 2, d: 2, eps: 0, y, saveMean, saveInvStd }); // y[0] = -1
 */
export function layerNorm(args: LayerNormArgs, impl: Impl = 'cpu'): void {
  kernel<RawLayerNorm>('layerNorm', impl)(
    args.x, args.rows, args.d, args.gamma, args.beta, args.eps, args.y, args.saveMean, args.saveInvStd,
  );
}

/**
 * Layer norm backward from the saved statistics: dx, and dgamma/dbeta summed over rows.
 * @example
 * layerNormBackward({ x, dy, rows, d, gamma, saveMean, saveInvStd, dx, dgamma, dbeta });
 */
export function layerNormBackward(args: LayerNormBackwardArgs, impl: Impl = 'cpu'): void {
  kernel<RawLayerNormBackward>('layerNormBackward', impl)(
    args.x, args.dy, args.rows, args.d, args.gamma, args.saveMean, args.saveInvStd, args.dx, args.dgamma, args.dbeta,
  );
}
