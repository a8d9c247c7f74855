/**
 * TrainingArguments: the settings of a {@link Trainer} run, with the familiar meanings of Hugging Face's
 * TrainingArguments in camelCase, their defaults, and up-front validation.
 */
import { isDeviceName, type Device } from '@graft/core';
import type { Transform } from '@graft/data';
import { SCHEDULE_NAMES, type ScheduleName } from './schedules.js';

/** Optimizers the Trainer builds. */
export type OptimizerName = 'sgd' | 'adam' | 'adamw';
/** When to evaluate or save. */
export type IntervalStrategy = 'no' | 'steps' | 'epoch';

/** Settings of a training run. Only `outputDir` is required. */
export interface TrainingArguments {
  /** Folder for metrics.jsonl, checkpoints and trainer_state.json (created if missing). */
  outputDir: string;
  /** Epochs over the training data (default 3); `maxSteps` overrides it. */
  numTrainEpochs?: number;
  /** Optimizer steps in all; overrides numTrainEpochs when > 0. */
  maxSteps?: number;
  trainBatchSize?: number;
  evalBatchSize?: number;
  /** Base learning rate (the peak for onecycle). */
  learningRate?: number;
  weightDecay?: number;
  optimizer?: OptimizerName;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  lrScheduler?: ScheduleName;
  warmupSteps?: number;
  /** Warm-up as a fraction of the total steps (used when warmupSteps is not given). */
  warmupRatio?: number;
  /** Batches whose gradients are summed before each optimizer step (default 1). */
  gradientAccumulationSteps?: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  maxGradNorm?: number;
  labelSmoothing?: number;
  evalStrategy?: IntervalStrategy;
  evalSteps?: number;
  saveStrategy?: IntervalStrategy;
  saveSteps?: number;
  /** Checkpoints kept (the best one is always kept as well). */
  saveTotalLimit?: number;
  loadBestModelAtEnd?: boolean;
  /** A key of the evaluation metrics (default 'accuracy'). */
  metricForBestModel?: string;
  greaterIsBetter?: boolean;
  /** Stop after this many evaluations without improvement. */
  earlyStoppingPatience?: number;
  /** Improvement smaller than this does not count (default 0). */
  earlyStoppingThreshold?: number;
  seed?: number;
  /** Log the mean training loss every this many optimizer steps (default 10). */
  loggingSteps?: number;
  /** A checkpoint file to resume from, or true for the newest checkpoint in outputDir. */
  resumeFromCheckpoint?: string | boolean;
  /** Worker threads preparing batches (default 0). */
  dataloaderWorkers?: number;
  /** Applied to training items (augmentation), e.g. compose(randomCrop(28, { padding: 2 }), toFloat()). */
  trainTransform?: Transform;
  /** Applied to evaluation and prediction items, e.g. toFloat(). */
  evalTransform?: Transform;
  /**
   * Where to train: 'cpu', 'cuda', 'cuda:N', or 'auto' (the first CUDA device when one is usable, else
   * the CPU). The Trainer moves the model there when it is built. Default: wherever the model already is.
   */
  device?: Device | 'auto';
}

/** TrainingArguments with every default filled in. */
export type ResolvedArguments = Required<Omit<TrainingArguments, 'maxSteps' | 'warmupSteps' | 'maxGradNorm' | 'earlyStoppingPatience' | 'resumeFromCheckpoint' | 'trainTransform' | 'evalTransform' | 'saveTotalLimit' | 'device'>> &
  Pick<TrainingArguments, 'maxSteps' | 'warmupSteps' | 'maxGradNorm' | 'earlyStoppingPatience' | 'resumeFromCheckpoint' | 'trainTransform' | 'evalTransform' | 'saveTotalLimit' | 'device'>;

/**
 * Fills in defaults and checks every setting; throws an Error naming the first bad one.
 * @example
 * const args = resolveArguments({ outputDir: 'runs/a', learningRate: 0.01 });
 */
export function resolveArguments(input: TrainingArguments): ResolvedArguments {
  const a: ResolvedArguments = {
    numTrainEpochs: 3, trainBatchSize: 32, evalBatchSize: 256, learningRate: 0.01, weightDecay: 0,
    optimizer: 'sgd', momentum: 0.9, lrScheduler: 'constant', warmupRatio: 0, gradientAccumulationSteps: 1,
    labelSmoothing: 0, evalStrategy: 'no', evalSteps: 500, saveStrategy: 'no', saveSteps: 500,
    loadBestModelAtEnd: false, metricForBestModel: 'accuracy', greaterIsBetter: true, earlyStoppingThreshold: 0,
    seed: 0, loggingSteps: 10, dataloaderWorkers: 0,
    ...stripUndefined(input),
    outputDir: input.outputDir,
  };
  if (typeof a.outputDir !== 'string' || a.outputDir === '') fail('outputDir', 'must be a non-empty folder path', a.outputDir);
  positiveNumber('learningRate', a.learningRate);
  nonNegative('weightDecay', a.weightDecay);
  nonNegative('momentum', a.momentum);
  if (a.labelSmoothing < 0 || a.labelSmoothing >= 1 || !Number.isFinite(a.labelSmoothing)) fail('labelSmoothing', 'must be in [0, 1)', a.labelSmoothing);
  if (!(['sgd', 'adam', 'adamw'] as const).includes(a.optimizer)) fail('optimizer', "must be 'sgd', 'adam' or 'adamw'", a.optimizer);
  if (!SCHEDULE_NAMES.includes(a.lrScheduler)) fail('lrScheduler', `must be one of ${SCHEDULE_NAMES.join(', ')}`, a.lrScheduler);
  for (const [name, value] of [['numTrainEpochs', a.numTrainEpochs], ['trainBatchSize', a.trainBatchSize], ['evalBatchSize', a.evalBatchSize],
    ['gradientAccumulationSteps', a.gradientAccumulationSteps], ['evalSteps', a.evalSteps], ['saveSteps', a.saveSteps], ['loggingSteps', a.loggingSteps]] as const) {
    positiveInteger(name, value);
  }
  if (a.maxSteps !== undefined) positiveInteger('maxSteps', a.maxSteps);
  if (a.warmupSteps !== undefined && (!Number.isInteger(a.warmupSteps) || a.warmupSteps < 0)) fail('warmupSteps', 'must be an integer >= 0', a.warmupSteps);
  if (!(a.warmupRatio >= 0 && a.warmupRatio < 1)) fail('warmupRatio', 'must be in [0, 1)', a.warmupRatio);
  if (a.maxGradNorm !== undefined) positiveNumber('maxGradNorm', a.maxGradNorm);
  if (a.saveTotalLimit !== undefined) positiveInteger('saveTotalLimit', a.saveTotalLimit);
  if (a.earlyStoppingPatience !== undefined) positiveInteger('earlyStoppingPatience', a.earlyStoppingPatience);
  nonNegative('earlyStoppingThreshold', a.earlyStoppingThreshold);
  for (const [name, value] of [['evalStrategy', a.evalStrategy], ['saveStrategy', a.saveStrategy]] as const) {
    if (!['no', 'steps', 'epoch'].includes(value)) fail(name, "must be 'no', 'steps' or 'epoch'", value);
  }
  if (!Number.isSafeInteger(a.seed)) fail('seed', 'must be a safe integer', a.seed);
  if (!Number.isInteger(a.dataloaderWorkers) || a.dataloaderWorkers < 0) fail('dataloaderWorkers', 'must be an integer >= 0', a.dataloaderWorkers);
  if (a.device !== undefined && a.device !== 'auto' && !isDeviceName(a.device)) {
    fail('device', "must be 'cpu', 'cuda', 'cuda:N' or 'auto'", a.device);
  }
  if ((a.loadBestModelAtEnd || a.earlyStoppingPatience !== undefined) && a.evalStrategy === 'no') {
    fail(a.loadBestModelAtEnd ? 'loadBestModelAtEnd' : 'earlyStoppingPatience', "needs evaluations: set evalStrategy to 'steps' or 'epoch'", true);
  }
  if (a.loadBestModelAtEnd && a.saveStrategy === 'no') fail('loadBestModelAtEnd', "needs checkpoints: set saveStrategy to 'steps' or 'epoch'", true);
  return a;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function fail(name: string, what: string, value: unknown): never {
  throw new Error(`TrainingArguments.${name} ${what}, got ${JSON.stringify(value)}`);
}

function positiveNumber(name: string, value: number): void {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) fail(name, 'must be a number > 0', value);
}

function nonNegative(name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) fail(name, 'must be a number >= 0', value);
}

function positiveInteger(name: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1)) fail(name, 'must be an integer >= 1', value);
}
