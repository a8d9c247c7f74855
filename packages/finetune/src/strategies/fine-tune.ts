/**
 * fineTune: every transfer strategy of the playbook behind one call, and trainFromScratch, the
 * baseline it is compared with.
 *
 * Why the default is LP-FT: with ten labels per class, the naive recipe (a random head, every layer
 * trained from the first step) transfers poorly: the random head's large early gradients flow into
 * the backbone and distort its features before the head has converged. LP-FT (Kumar et al. 2022)
 * first fits the head on the frozen features (a convex problem, solved in under a second on cached
 * features), so fine-tuning starts from a head that already agrees with the features and its
 * gradients are small; a warm-up and a backbone rate ten times below the head's keep the first steps
 * gentle; shift-and-flip augmentation stretches the few images, and batches are evened out so that
 * batch norm never sees the statistics of a two-image remainder batch.
 *
 * Batch norm: both policies are offered. Measured on FMNIST-transfer (bundled subset, 10 labels per
 * class, mean of 3 seeds), LP-FT scored 86.3% with BN in training mode ('train', fastai) and 85.6%
 * with frozen statistics ('frozen', Keras); with the backbone rate raised to 3e-3, frozen statistics
 * collapsed to 20-58% (nothing renormalises weights that drift), so 'train' is the default and
 * 'frozen' suits small backbone rates or batches of one or two images. Numbers and commands:
 * benchmarks/results/2026-11-22-finetune-fmnist.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Classifier } from '@graft/core';
import type { Transform } from '@graft/data';
import { SCHEDULE_NAMES, type ScheduleName } from '../schedules.js';
import type { OptimizerName } from '../args.js';
import type { Metrics, TrainerCallbacks } from '../trainer.js';
import { checkHeadFits, checkInteger, checkNonNegative, checkPositive } from './checks.js';
import { defaultAugment, defaultTransform, toDataset, trainingTransform, type EpochRecord, type TransferData } from './data.js';
import {
  applyBatchNormPolicy, asClassifier, discriminativeParamGroups, freezeBackbone, freezeStages, replaceHead, transferStages, type BatchNormPolicy,
} from './layers.js';
import { linearProbe, type LinearProbeOptions } from './linear-probe.js';
import { runPhase, type EvalAt, type PhaseSettings } from './phase.js';

/**
 * How the pretrained model is adapted.
 * - `'lp-ft'` (default): linear probe on frozen features, then fine-tune every layer from the probed head.
 * - `'full'`: fine-tune every layer from the current head.
 * - `'partial'`: freeze the first `freezeStages` stages, fine-tune the rest.
 * - `'gradual'`: fastai's `fine_tune(freezeEpochs)`: the head alone for `freezeEpochs` epochs, then
 *   every layer at half the rate; with `unfreeze: 'stagewise'` (ULMFiT), the stages are unfrozen one at
 *   a time, deepest first, `freezeEpochs` epochs each, before the last phase trains every layer.
 * - `'linear-probe'`: only the head, on cached frozen features.
 */
export type TransferStrategy = 'lp-ft' | 'full' | 'partial' | 'gradual' | 'linear-probe';

/** The strategies, for validation and CLI flags. */
export const TRANSFER_STRATEGIES: readonly TransferStrategy[] = ['lp-ft', 'full', 'partial', 'gradual', 'linear-probe'];

/** Settings of the fine-tuning phases (the defaults are the default recipe's). */
export interface FineTuneOptions {
  strategy?: TransferStrategy;
  /** Replace the head with a fresh one for this many classes first (default: keep the current head). */
  numClasses?: number;
  /** Seed of a replaced head (default: `seed`). */
  headSeed?: number;
  /** Epochs of the last phase, which trains the backbone (default 30). */
  epochs?: number;
  /** Images per step, at most (default 16); evened out so the last batch is not tiny (see evenBatchSize). */
  batchSize?: number;
  /** Peak learning rate of the head (default 0.01). */
  lr?: number;
  /** Backbone rate as a fraction of the head's (default 0.1). */
  backboneLrRatio?: number;
  /** Per-stage multiplier going down from the deepest stage (default 1: no decay). */
  layerDecay?: number;
  /** 'partial': stages frozen, stem first (default 1). */
  freezeStages?: number;
  /** 'gradual': head-only epochs before unfreezing, and epochs of each stagewise phase (default 1, as fastai). */
  freezeEpochs?: number;
  /** 'gradual': unfreeze every stage at once after the head ('all', fastai, default) or one per phase, deepest first ('stagewise'). */
  unfreeze?: 'all' | 'stagewise';
  /** Batch-norm policy (default 'train'; see the file comment for the measurement). */
  batchNorm?: BatchNormPolicy;
  /** Default 'sgd' (momentum 0.9). */
  optimizer?: OptimizerName;
  momentum?: number;
  /** Default 5e-4. */
  weightDecay?: number;
  /** Default 'cosine'. */
  lrScheduler?: ScheduleName;
  /** Warm-up fraction of each phase's steps (default 0.1). */
  warmupRatio?: number;
  labelSmoothing?: number;
  maxGradNorm?: number;
  /** Per-item preprocessing, e.g. compose(toFloat(), normalise(mean, std)) (default toFloat()). */
  transform?: Transform;
  /**
   * Training augmentation run before `transform`; null for none (default: 2-pixel shift and flip for
   * images). LP-FT's probe uses it too (8 views); a 'linear-probe' strategy's probe uses the
   * probe's own default (probeAugment, 16 views) unless this is given.
   */
  augment?: Transform | null;
  /** 'lp-ft' and 'linear-probe': settings of the probe. */
  probe?: Pick<LinearProbeOptions, 'epochs' | 'batchSize' | 'lr' | 'weightDecay' | 'standardise' | 'views'>;
  /** Scored after every epoch (or once, see `evaluate`); its last scores are `metrics`. */
  evalData?: TransferData;
  /** When evalData is scored: 'epoch' (default, for charts) or 'end' (once; cheaper for large sets). */
  evaluate?: EvalAt;
  /** Seeds shuffles, augmentation and a replaced head (default 0). */
  seed?: number;
  /** Where each phase's metrics.jsonl goes (default: a temporary folder, removed afterwards). */
  outputDir?: string;
  /** Passed to each phase's Trainer (progress bars). */
  callbacks?: TrainerCallbacks;
  onEpochEnd?: (record: EpochRecord) => void;
}

/** What {@link fineTune} and {@link trainFromScratch} return. */
export interface FineTuneResult<M extends Classifier = Classifier> {
  /** The same model, trained, in evaluation mode, every parameter trainable again. */
  model: M;
  strategy: TransferStrategy | 'scratch';
  /** One record per epoch of every phase, in order. */
  history: EpochRecord[];
  /** Scores on evalData after the last epoch. */
  metrics?: Metrics;
  seconds: number;
}

type Resolved = PhaseSettings & {
  strategy: TransferStrategy; lr: number; backboneLrRatio: number; layerDecay: number; freezeStages: number; freezeEpochs: number;
  batchNorm: BatchNormPolicy; transform: Transform; evaluate: EvalAt; unfreeze: 'all' | 'stagewise';
};

function resolve(fn: string, o: FineTuneOptions, defaults: Partial<Resolved> = {}): Resolved {
  const r: Resolved = {
    strategy: 'lp-ft', epochs: 30, batchSize: 16, lr: 0.01, backboneLrRatio: 0.1, layerDecay: 1, freezeStages: 1, freezeEpochs: 1,
    batchNorm: 'train', optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4, lrScheduler: 'cosine', warmupRatio: 0.1, labelSmoothing: 0,
    seed: 0, transform: defaultTransform(), evaluate: 'epoch', unfreeze: 'all', ...defaults, ...definedOnly(o),
  } as Resolved;
  if (!TRANSFER_STRATEGIES.includes(r.strategy)) throw new Error(`${fn}: options.strategy must be one of ${TRANSFER_STRATEGIES.join(', ')}, got ${JSON.stringify(r.strategy)}`);
  if (o.numClasses !== undefined) checkInteger(fn, 'numClasses', o.numClasses, 1);
  checkInteger(fn, 'epochs', r.epochs, 1);
  checkInteger(fn, 'batchSize', r.batchSize, 1);
  checkInteger(fn, 'freezeStages', r.freezeStages, 0);
  checkInteger(fn, 'freezeEpochs', r.freezeEpochs, 1);
  checkPositive(fn, 'lr', r.lr);
  checkPositive(fn, 'backboneLrRatio', r.backboneLrRatio);
  if (!(r.layerDecay > 0 && r.layerDecay <= 1)) throw new Error(`${fn}: options.layerDecay must be in (0, 1], got ${r.layerDecay}`);
  if (r.batchNorm !== 'frozen' && r.batchNorm !== 'train') throw new Error(`${fn}: options.batchNorm must be 'frozen' or 'train', got ${JSON.stringify(r.batchNorm)}`);
  if (!['sgd', 'adam', 'adamw'].includes(r.optimizer)) throw new Error(`${fn}: options.optimizer must be 'sgd', 'adam' or 'adamw', got ${JSON.stringify(r.optimizer)}`);
  if (!SCHEDULE_NAMES.includes(r.lrScheduler)) throw new Error(`${fn}: options.lrScheduler must be one of ${SCHEDULE_NAMES.join(', ')}, got ${JSON.stringify(r.lrScheduler)}`);
  checkNonNegative(fn, 'momentum', r.momentum);
  checkNonNegative(fn, 'weightDecay', r.weightDecay);
  if (!(r.warmupRatio >= 0 && r.warmupRatio < 1)) throw new Error(`${fn}: options.warmupRatio must be in [0, 1), got ${r.warmupRatio}`);
  if (!(r.labelSmoothing >= 0 && r.labelSmoothing < 1)) throw new Error(`${fn}: options.labelSmoothing must be in [0, 1), got ${r.labelSmoothing}`);
  if (r.maxGradNorm !== undefined) checkPositive(fn, 'maxGradNorm', r.maxGradNorm);
  if (r.unfreeze !== 'all' && r.unfreeze !== 'stagewise') throw new Error(`${fn}: options.unfreeze must be 'all' or 'stagewise', got ${JSON.stringify(r.unfreeze)}`);
  if (r.evaluate !== 'epoch' && r.evaluate !== 'end') throw new Error(`${fn}: options.evaluate must be 'epoch' or 'end', got ${JSON.stringify(r.evaluate)}`);
  if (!Number.isSafeInteger(r.seed)) throw new Error(`${fn}: options.seed must be a safe integer, got ${r.seed}`);
  return r;
}

/**
 * Checks fineTune's options (or, with `scratch`, trainFromScratch's) without training: the CLI
 * validates flags with it, and fineTuneWithBaseline checks both runs before starting either.
 * @example
 * checkFineTuneOptions({ strategy: 'partial', freezeStages: 2, lr: 0.01 });
 */
export function checkFineTuneOptions(options: FineTuneOptions, scratch = false): void {
  resolve(scratch ? 'trainFromScratch' : 'fineTune', options);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The views of the probe inside fineTune. LP-FT's probe sees what the fine-tune phase will train on
 * (`augment`, 8 views): measured on FMNIST-transfer at 10 labels per class (3 seeds, bundled), LP-FT
 * scored 86.5% so and 85.8% with the stand-alone probe's stronger views (probeAugment, 16), which suit
 * a probe that is the final model. A 'linear-probe' strategy keeps the probe's defaults unless the
 * caller gave an augmentation.
 */
function probeViews(strategy: TransferStrategy, given: Transform | null | undefined, augment: Transform | null): Pick<LinearProbeOptions, 'augment' | 'views'> {
  if (strategy === 'lp-ft') return { augment, views: 8 };
  return given === undefined ? {} : { augment: given };
}

/**
 * Adapts a pretrained classifier to the labelled `data` with a transfer strategy (default: LP-FT
 * with batch norm in training mode, see the file comment). Every option is checked before any
 * training starts.
 * @example
 * const model = resnet20({ inChannels: 1, numClasses: 5 });
 * await loadPretrained(model, 'weights/resnet20-fmnist04-supervised.safetensors', { skip: 'fc' });
 * const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
 * const { history, metrics } = await fineTune(model, split.labelled, { numClasses: 5, transform: plain, evalData: test });
 */
export async function fineTune<M extends Classifier>(model: M, data: TransferData, options: FineTuneOptions = {}): Promise<FineTuneResult<M>> {
  const started = performance.now();
  asClassifier(model, 'fineTune');
  const r = resolve('fineTune', options);
  const train = toDataset(data, 'fineTune', 'data');
  const evalData = options.evalData === undefined ? undefined : toDataset(options.evalData, 'fineTune', 'options.evalData');
  const stages = transferStages(model).length;
  if (r.strategy === 'partial' && r.freezeStages > stages) {
    throw new Error(`fineTune: options.freezeStages must be at most ${stages} (the backbone's stages: ${transferStages(model).map((s) => s.name).join(', ')}), got ${r.freezeStages}`);
  }
  checkHeadFits('fineTune', options.numClasses ?? model.head.outFeatures, train);
  if (options.numClasses !== undefined) replaceHead(model, options.numClasses, { seed: options.headSeed ?? r.seed });
  const history: EpochRecord[] = [];
  const onEpochEnd = (e: EpochRecord): void => { history.push(e); options.onEpochEnd?.(e); };
  const augment = options.augment === undefined ? defaultAugment(train.get(0).shape) : options.augment;
  const result = await withState(model, options.outputDir, async (outputDir) => {
    if (r.strategy === 'linear-probe' || r.strategy === 'lp-ft') {
      // With a fine-tune phase to follow, the probe is scored only when the caller wants per-epoch charts.
      const probeEval = r.strategy === 'linear-probe' || r.evaluate === 'epoch' ? evalData : undefined;
      const views = probeViews(r.strategy, options.augment, augment);
      const probe = await linearProbe(model, train, { ...views, ...options.probe, transform: r.transform, evalData: probeEval, seed: r.seed, onEpochEnd });
      if (r.strategy === 'linear-probe') return probe.metrics;
    }
    const phase = { model, train, evalData, settings: r, trainTransform: trainingTransform(augment, r.transform), evalTransform: r.transform, outputDir, callbacks: options.callbacks, onEpochEnd, evalAt: r.evaluate };
    if (r.strategy === 'gradual') {
      freezeBackbone(model);
      applyBatchNormPolicy(model, r.batchNorm);
      const groups = discriminativeParamGroups(model, { lr: r.lr });
      const early = { ...phase, evalData: r.evaluate === 'epoch' ? evalData : undefined, settings: { ...r, epochs: r.freezeEpochs } };
      await runPhase({ ...early, name: 'head', groups, epochOffset: history.length });
      const stages = transferStages(model);
      // Stagewise: stages.length - 1 phases, each with one more stage unfrozen, deepest first.
      for (let frozen = stages.length - 1; r.unfreeze === 'stagewise' && frozen > 0; frozen--) {
        freezeStages(model, frozen);
        applyBatchNormPolicy(model, r.batchNorm);
        const staged = discriminativeParamGroups(model, { lr: r.lr / 2, backboneLrRatio: r.backboneLrRatio, layerDecay: r.layerDecay });
        await runPhase({ ...early, name: `unfreeze-${stages[frozen]?.name ?? frozen}`, groups: staged, epochOffset: history.length });
      }
    }
    freezeStages(model, r.strategy === 'partial' ? r.freezeStages : 0);
    applyBatchNormPolicy(model, r.batchNorm);
    const lr = r.strategy === 'gradual' ? r.lr / 2 : r.lr;
    const groups = discriminativeParamGroups(model, { lr, backboneLrRatio: r.backboneLrRatio, layerDecay: r.layerDecay });
    const last = await runPhase({ ...phase, name: 'fine-tune', groups, epochOffset: history.length });
    return last.metrics;
  });
  return { model, strategy: r.strategy, history, metrics: result, seconds: (performance.now() - started) / 1000 };
}

/** Options of {@link trainFromScratch}: fineTune's, less what only transfer needs. */
export type ScratchOptions = Omit<FineTuneOptions, 'strategy' | 'backboneLrRatio' | 'layerDecay' | 'freezeStages' | 'freezeEpochs' | 'unfreeze' | 'batchNorm' | 'probe'>;

/**
 * Trains every layer of a freshly initialised classifier with one learning rate and batch norm in
 * training mode: the baseline that transfer must beat. Defaults: 30 epochs, batch 16, SGD 0.05
 * (momentum 0.9, weight decay 5e-4), cosine with 10% warm-up, the same augmentation as fineTune.
 * @example
 * manualSeed(0);
 * const { metrics } = await trainFromScratch(resnet20({ inChannels: 1, numClasses: 5 }), split.labelled, { transform: plain, evalData: test });
 */
export async function trainFromScratch<M extends Classifier>(model: M, data: TransferData, options: ScratchOptions = {}): Promise<FineTuneResult<M>> {
  const started = performance.now();
  asClassifier(model, 'trainFromScratch');
  const r = resolve('trainFromScratch', options, { lr: 0.05, batchNorm: 'train' });
  const train = toDataset(data, 'trainFromScratch', 'data');
  const evalData = options.evalData === undefined ? undefined : toDataset(options.evalData, 'trainFromScratch', 'options.evalData');
  checkHeadFits('trainFromScratch', options.numClasses ?? model.head.outFeatures, train);
  if (options.numClasses !== undefined) replaceHead(model, options.numClasses, { seed: options.headSeed ?? r.seed });
  const history: EpochRecord[] = [];
  const metrics = await withState(model, options.outputDir, async (outputDir) => {
    freezeStages(model, 0);
    applyBatchNormPolicy(model, 'train');
    const augment = options.augment === undefined ? defaultAugment(train.get(0).shape) : options.augment;
    const run = await runPhase({
      name: 'scratch', model, train, evalData, groups: [{ params: model.parameters(), lr: r.lr }], settings: r,
      trainTransform: trainingTransform(augment, r.transform), evalTransform: r.transform, outputDir, callbacks: options.callbacks,
      epochOffset: 0, evalAt: r.evaluate, onEpochEnd: (e) => { history.push(e); options.onEpochEnd?.(e); },
    });
    return run.metrics;
  });
  return { model, strategy: 'scratch', history, metrics, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs `body` with an output folder (a temporary one when none is given, removed afterwards), then
 * leaves the model in evaluation mode with every parameter trainable and batch norm unfrozen.
 */
async function withState<T>(model: Classifier, outputDir: string | undefined, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = outputDir ?? mkdtempSync(join(tmpdir(), 'graft-finetune-'));
  try {
    return await body(dir);
  } finally {
    if (outputDir === undefined) rmSync(dir, { recursive: true, force: true });
    freezeStages(model, 0);
    applyBatchNormPolicy(model, 'train');
    model.eval();
  }
}

