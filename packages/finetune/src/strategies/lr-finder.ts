/**
 * Learning-rate finder (Smith 2017, as fastai's lr_find): train for a few hundred steps at most while
 * the learning rate grows exponentially, smooth the loss, and suggest the rate where the smoothed loss
 * falls fastest. The model's parameters, buffers and batch-norm statistics are restored afterwards.
 */
import { Adam, AdamW, SGD, functional as F, tidy, type Classifier, type Device, type Tensor } from '@graft/core';
import { batchToTensors, createLoader, type Batch, type Transform } from '@graft/data';
import type { OptimizerName } from '../args.js';
import { checkInteger, checkNonNegative, checkPositive } from './checks.js';
import { defaultAugment, defaultTransform, toDataset, trainingTransform, type TransferData } from './data.js';
import { applyBatchNormPolicy, asClassifier, discriminativeParamGroups, type BatchNormPolicy } from './layers.js';

/** Options of {@link findLearningRate}. */
export interface LrFinderOptions {
  /** First rate of the sweep (default 1e-6). */
  minLr?: number;
  /** Last rate of the sweep (default 1). */
  maxLr?: number;
  /** Steps of the sweep, at most 500 (default 100). */
  steps?: number;
  /** Images per step (default 16). */
  batchSize?: number;
  /** Exponential smoothing of the loss (default 0.9; fastai's 0.98 suits longer sweeps). */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this multiple of its minimum (default 4). */
  divergeFactor?: number;
  /** Backbone rate as a fraction of the head's during the sweep (default 0.1); the rates reported are the head's. */
  backboneLrRatio?: number;
  optimizer?: OptimizerName;
  weightDecay?: number;
  batchNorm?: BatchNormPolicy;
  transform?: Transform;
  augment?: Transform | null;
  seed?: number;
}

/** What {@link findLearningRate} returns. */
export interface LrFinderResult {
  /** The head's learning rate at each step taken. */
  lrs: number[];
  /** Smoothed (bias-corrected) loss at each step. */
  losses: number[];
  rawLosses: number[];
  /** The rate at the steepest descent of the smoothed loss. */
  suggestion: number;
  /** True when the sweep stopped because the loss diverged. */
  diverged: boolean;
}

interface Sweep { minLr: number; maxLr: number; steps: number; batchSize: number; smoothing: number; divergeFactor: number }

function sweepSettings(o: LrFinderOptions): Sweep {
  const s = { minLr: o.minLr ?? 1e-6, maxLr: o.maxLr ?? 1, steps: o.steps ?? 100, batchSize: o.batchSize ?? 16, smoothing: o.smoothing ?? 0.9, divergeFactor: o.divergeFactor ?? 4 };
  checkPositive('findLearningRate', 'minLr', s.minLr);
  checkPositive('findLearningRate', 'maxLr', s.maxLr);
  if (s.maxLr <= s.minLr) throw new Error(`findLearningRate: options.maxLr must exceed options.minLr (${s.minLr}), got ${s.maxLr}`);
  checkInteger('findLearningRate', 'steps', s.steps, 5);
  if (s.steps > 500) throw new Error(`findLearningRate: options.steps must be at most 500, got ${s.steps}`);
  checkInteger('findLearningRate', 'batchSize', s.batchSize, 1);
  if (!(s.smoothing >= 0 && s.smoothing < 1)) throw new Error(`findLearningRate: options.smoothing must be in [0, 1), got ${s.smoothing}`);
  if (!(s.divergeFactor > 1)) throw new Error(`findLearningRate: options.divergeFactor must be > 1, got ${s.divergeFactor}`);
  checkNonNegative('findLearningRate', 'weightDecay', o.weightDecay ?? 0);
  return s;
}

/**
 * Sweeps the learning rate exponentially from minLr to maxLr over the labelled data and suggests one.
 * The model is left exactly as it was.
 * @example
 * const { lrs, losses, suggestion } = await findLearningRate(model, split.labelled, { transform: plain });
 * await fineTune(model, split.labelled, { lr: suggestion, transform: plain });
 */
export async function findLearningRate(model: Classifier, data: TransferData, options: LrFinderOptions = {}): Promise<LrFinderResult> {
  asClassifier(model, 'findLearningRate');
  const s = sweepSettings(options);
  const train = toDataset(data, 'findLearningRate', 'data');
  const groups = discriminativeParamGroups(model, { lr: s.minLr, backboneLrRatio: options.backboneLrRatio ?? 0.1 });
  if (groups.length === 0) throw new Error('findLearningRate: the model has no trainable parameters');
  const ratios = groups.map((g) => g.lr / s.minLr);
  const optimizer = buildOptimizer(options.optimizer ?? 'sgd', groups, options.weightDecay ?? 0);
  const augment = options.augment === undefined ? defaultAugment(train.get(0).shape) : options.augment;
  const loader = createLoader(train, { batchSize: s.batchSize, shuffle: true, seed: options.seed ?? 0, transform: trainingTransform(augment, options.transform ?? defaultTransform()) });
  const snapshot = new Map([...model.stateDict()].map(([k, t]) => [k, t.clone().keep()] as [string, Tensor]));
  const wasTraining = model.training;
  const result: LrFinderResult = { lrs: [], losses: [], rawLosses: [], suggestion: NaN, diverged: false };
  try {
    applyBatchNormPolicy(model, options.batchNorm ?? 'frozen');
    model.train();
    const device = model.device;
    let avg = 0, best = Infinity;
    sweep: for (let epoch = 0; ; epoch++) {
      for await (const batch of loader.epoch(epoch)) {
        const i = result.lrs.length;
        const lr = s.minLr * (s.maxLr / s.minLr) ** (i / (s.steps - 1));
        optimizer.paramGroups.forEach((g, j) => { g.lr = lr * (ratios[j] as number); });
        const loss = trainStep(model, optimizer, batch, device);
        avg = s.smoothing * avg + (1 - s.smoothing) * loss;
        const smoothed = avg / (1 - s.smoothing ** (i + 1));
        result.lrs.push(lr); result.rawLosses.push(loss); result.losses.push(smoothed);
        if (!Number.isFinite(smoothed) || (i > 0 && smoothed > s.divergeFactor * best)) { result.diverged = true; break sweep; }
        best = Math.min(best, smoothed);
        if (result.lrs.length >= s.steps) break sweep;
      }
    }
  } finally {
    await loader.close();
    optimizer.zeroGrad();
    model.loadStateDict(snapshot);
    for (const t of snapshot.values()) t.dispose();
    applyBatchNormPolicy(model, 'train');
    model.train(wasTraining);
  }
  result.suggestion = steepestDescent(result.lrs, result.losses);
  return result;
}

function buildOptimizer(name: OptimizerName, groups: Array<{ params: Tensor[]; lr: number }>, weightDecay: number): SGD | Adam | AdamW {
  const lr = groups[0]?.lr ?? 1e-6;
  if (name === 'sgd') return new SGD(groups, { lr, momentum: 0.9, weightDecay });
  if (name === 'adam') return new Adam(groups, { lr, weightDecay });
  if (name === 'adamw') return new AdamW(groups, { lr, weightDecay });
  throw new Error(`findLearningRate: options.optimizer must be 'sgd', 'adam' or 'adamw', got ${JSON.stringify(name)}`);
}

function trainStep(model: Classifier, optimizer: SGD | Adam | AdamW, batch: Batch, device: Device): number {
  return tidy(() => {
    const { images, labels } = batchToTensors(batch, device);
    const loss = F.crossEntropy(model.forward(images), labels);
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    return loss.item();
  });
}

/**
 * The rate where the smoothed loss falls fastest against log(lr) before it reaches its minimum: the
 * most negative central difference between the end of the smoother's warm-up (the first tenth of
 * the sweep) and the lowest loss; past the minimum the loss only rises or swings while diverging.
 * @example
 * steepestDescent([1e-3, 1e-2, 1e-1, 1], [2.3, 2.2, 1.5, 9]); // 0.01
 */
export function steepestDescent(lrs: readonly number[], losses: readonly number[]): number {
  if (lrs.length !== losses.length || lrs.length < 3) throw new Error(`steepestDescent: need at least 3 (lr, loss) pairs of equal length, got ${lrs.length} and ${losses.length}`);
  const start = Math.max(1, Math.floor(lrs.length / 10));
  let lowest = start;
  for (let i = start; i < losses.length; i++) if ((losses[i] as number) < (losses[lowest] as number)) lowest = i;
  const end = Math.min(lrs.length - 1, Math.max(lowest + 1, start + 1));
  let best = start, slope = Infinity;
  for (let i = start; i < end; i++) {
    const d = ((losses[i + 1] as number) - (losses[i - 1] as number)) / (Math.log(lrs[i + 1] as number) - Math.log(lrs[i - 1] as number));
    if (d < slope) { slope = d; best = i; }
  }
  return lrs[best] as number;
}
