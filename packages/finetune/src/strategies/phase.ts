/**
 * One training phase of a strategy: a Trainer run over given parameter groups, with the epoch
 * history collected from the Trainer's callbacks.
 */
import { join } from 'node:path';
import type { Classifier, Tensor } from '@graft/core';
import type { Dataset, Transform } from '@graft/data';
import type { OptimizerName } from '../args.js';
import type { ScheduleName } from '../schedules.js';
import { Trainer, type Metrics, type TrainerCallbacks } from '../trainer.js';
import type { EpochRecord } from './data.js';

/** When a strategy scores its evaluation data: after every epoch (for charts) or once at the end (cheaper). */
export type EvalAt = 'epoch' | 'end';

/** Optimizer and schedule settings of a phase. */
export interface PhaseSettings {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  momentum: number;
  weightDecay: number;
  lrScheduler: ScheduleName;
  warmupRatio: number;
  labelSmoothing: number;
  maxGradNorm?: number;
  seed: number;
}

/** Everything a phase runs on. */
export interface PhaseRun {
  name: string;
  model: Classifier;
  train: Dataset;
  evalData?: Dataset;
  groups: Array<{ params: Tensor[]; lr: number }>;
  settings: PhaseSettings;
  trainTransform: Transform;
  evalTransform: Transform;
  outputDir: string;
  /** Score evalData after every epoch, or once after the last. */
  evalAt: EvalAt;
  /** Epochs already recorded by earlier phases (history numbers continue from here). */
  epochOffset: number;
  callbacks?: TrainerCallbacks;
  onEpochEnd?: (r: EpochRecord) => void;
}

/**
 * The batch size, at most `batchSize`, that splits `n` items into the same number of batches with
 * sizes as even as possible: 50 images at 16 become 13, 13, 13, 11 rather than 16, 16, 16, 2, whose
 * last batch would give batch norm the statistics of two images.
 * @example
 * evenBatchSize(50, 16); // 13
 */
export function evenBatchSize(n: number, batchSize: number): number {
  return Math.max(1, Math.ceil(n / Math.ceil(n / batchSize)));
}

/**
 * Runs a phase; returns its epoch records and the last evaluation.
 * @example
 * const { history, metrics } = await runPhase({ name: 'fine-tune', model, train, groups, settings, ... });
 */
export async function runPhase(run: PhaseRun): Promise<{ history: EpochRecord[]; metrics?: Metrics }> {
  const history: EpochRecord[] = [];
  let pending: EpochRecord | undefined;
  let sums = { loss: 0, right: 0, samples: 0 };
  const flush = (): void => {
    if (pending === undefined) return;
    history.push(pending);
    run.onEpochEnd?.(pending);
    pending = undefined;
  };
  const s = run.settings;
  const trainer = new Trainer({
    model: run.model,
    args: {
      outputDir: join(run.outputDir, run.name), numTrainEpochs: s.epochs, trainBatchSize: evenBatchSize(run.train.length, s.batchSize),
      learningRate: run.groups[0]?.lr ?? 0.01, optimizer: s.optimizer, momentum: s.momentum, weightDecay: s.weightDecay,
      lrScheduler: s.lrScheduler, warmupRatio: s.warmupRatio, labelSmoothing: s.labelSmoothing, maxGradNorm: s.maxGradNorm,
      seed: s.seed, evalStrategy: run.evalData && run.evalAt === 'epoch' ? 'epoch' : 'no', loggingSteps: 1_000_000,
      trainTransform: run.trainTransform, evalTransform: run.evalTransform,
    },
    trainData: run.train,
    evalData: run.evalData,
    paramGroups: run.groups,
    callbacks: {
      ...run.callbacks,
      onStepEnd(state) {
        const epoch = run.epochOffset + state.epoch + 1;
        if (pending !== undefined && pending.epoch !== epoch) flush();
        if (pending === undefined) { pending = { phase: run.name, epoch, loss: 0, accuracy: 0, lr: state.lr }; sums = { loss: 0, right: 0, samples: 0 }; }
        sums.loss += state.loss * state.samples;
        sums.right += state.accuracy * state.samples;
        sums.samples += state.samples;
        Object.assign(pending, { loss: sums.loss / sums.samples, accuracy: sums.right / sums.samples, lr: state.lr });
        run.callbacks?.onStepEnd?.(state);
      },
      onEvaluate(metrics, step) {
        if (pending !== undefined) Object.assign(pending, { evalLoss: metrics['loss'], evalAccuracy: metrics['accuracy'], evalMacroF1: metrics['macroF1'] });
        run.callbacks?.onEvaluate?.(metrics, step);
      },
    },
  });
  const result = await trainer.train();
  let metrics = result.metrics;
  if (run.evalData && run.evalAt === 'end') {
    metrics = await trainer.evaluate(run.evalData);
    if (pending !== undefined) Object.assign(pending, { evalLoss: metrics['loss'], evalAccuracy: metrics['accuracy'], evalMacroF1: metrics['macroF1'] });
  }
  flush();
  return { history, metrics };
}
