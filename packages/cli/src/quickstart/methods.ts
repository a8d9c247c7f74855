/**
 * The quickstart's four methods on the same labels: scratch, linear probe (frozen features computed
 * once), fine-tuning (LP-FT: from the probe's head, frozen batch-norm statistics, backbone learning rate
 * a tenth of the head's) and self-training rounds (teacher -> class-balanced confident pseudo-labels
 * chosen by @graft/selftrain's selectPseudoLabels -> noised student -> test). Each returns its trained model and scores; the caller disposes the model.
 */
import { join } from 'node:path';
import { noGrad, tidy, type ResNet } from '@graft/core';
import { Subset, TensorDataset, concat, createLoader, imagesToTensor, withLabels, type Dataset, type Transform, compose, randomErasing } from '@graft/data';
import { Trainer, classificationReport, confusionMatrix, type TrainerCallbacks, type TrainingArguments } from '@graft/finetune';
import { EVAL_TRANSFORM, TRAIN_TRANSFORM, type TransferData } from '../data.js';
import { FrozenBatchNorm, buildModel, loadWeights, type ModelName } from '../model.js';
import type { MethodName, SelfTrainingRow, TrainingCurve } from '../report/types.js';
import { pseudoLabelAccuracy, selectPseudoLabels } from '@graft/selftrain';

/** How much training each method gets; the defaults fit the quickstart's time budget. */
export interface MethodBudget {
  scratchEpochs: number;
  probeEpochs: number;
  fineTuneEpochs: number;
  selfTrainRounds: number;
  /** Passes of each student over its training set. */
  studentEpochs: number;
  /** Pseudo-labels kept per class in round r: perClass * r, at most what the pool offers. */
  pseudoPerClass: number;
}

/** What the methods share. */
export interface MethodContext {
  data: TransferData;
  model: ModelName;
  weights: string;
  seed: number;
  outputDir: string;
  budget: MethodBudget;
  /** Trainer callbacks for a phase (progress display, Ctrl-C). */
  callbacks(phase: string): TrainerCallbacks;
  /** Called when a phase finishes, with its test accuracy (for the progress display). */
  done?(phase: string, accuracy: number): void;
}

/** One method's trained model and scores. */
export interface MethodOutcome {
  method: MethodName;
  model: ResNet;
  testAccuracy: number;
  macroF1: number;
  confusion: number[][];
  seconds: number;
  curves: TrainingCurve[];
}

/** Scores a classifier on the test set. */
async function score(model: ResNet, ctx: MethodContext): Promise<{ testAccuracy: number; macroF1: number; confusion: number[][] }> {
  const classes = ctx.data.classNames.length;
  const trainer = new Trainer({ model, args: { outputDir: ctx.outputDir, evalBatchSize: 250, evalTransform: EVAL_TRANSFORM } });
  const p = await trainer.predict(ctx.data.test);
  const labels = p.labels ?? new Int32Array(0);
  const report = classificationReport(p.predictions, labels, classes);
  return { testAccuracy: report.accuracy, macroF1: report.macroF1, confusion: confusionMatrix(p.predictions, labels, classes) };
}

/** Runs a Trainer, collecting the logged training loss as a curve. */
async function fit(name: string, options: ConstructorParameters<typeof Trainer>[0], ctx: MethodContext): Promise<TrainingCurve> {
  const curve: TrainingCurve = { name, points: [] };
  const outer = ctx.callbacks(name);
  const callbacks: TrainerCallbacks = {
    ...outer,
    onLog: (entry) => {
      if (typeof entry['loss'] === 'number') curve.points.push([entry.step, entry['loss']]);
      outer.onLog?.(entry);
    },
  };
  const result = await new Trainer({ ...options, callbacks }).train();
  if (result.stoppedBy === 'interrupt') throw new QuickstartInterrupted(name);
  return curve;
}

/**
 * Thrown when Ctrl-C stopped a phase of the quickstart.
 * @example
 * try { await runScratch(ctx); } catch (e) { if (e instanceof QuickstartInterrupted) process.exitCode = 130; }
 */
export class QuickstartInterrupted extends Error {
  constructor(readonly phase: string) {
    super(`quickstart interrupted during ${phase}`);
    this.name = 'QuickstartInterrupted';
  }
}

function args(ctx: MethodContext, phase: string, extra: Partial<TrainingArguments>): TrainingArguments {
  return {
    outputDir: join(ctx.outputDir, 'train', phase.replace(/ /g, '-')), seed: ctx.seed, optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4,
    lrScheduler: 'cosine', trainBatchSize: 16, evalBatchSize: 250, loggingSteps: 2, dataloaderWorkers: 1, ...extra,
  };
}

async function finish(method: MethodName, model: ResNet, curves: TrainingCurve[], started: number, ctx: MethodContext): Promise<MethodOutcome> {
  const scores = await score(model, ctx);
  ctx.done?.(method, scores.testAccuracy);
  return { method, model, ...scores, curves, seconds: (performance.now() - started) / 1000 };
}

/**
 * From scratch: a randomly initialised ResNet trained on the labelled images only.
 * @example
 * const scratch = await runScratch(ctx);
 */
export async function runScratch(ctx: MethodContext): Promise<MethodOutcome> {
  const started = performance.now();
  const model = buildModel(ctx.model, ctx.data.classNames.length, ctx.seed);
  const curve = await fit('scratch', {
    model, trainData: ctx.data.labelled,
    args: args(ctx, 'scratch', { numTrainEpochs: ctx.budget.scratchEpochs, learningRate: 0.05, warmupRatio: 0.1, trainTransform: TRAIN_TRANSFORM }),
  }, ctx);
  return finish('scratch', model, [curve], started, ctx);
}

/** Frozen-backbone features of a labelled dataset (eval mode, no augmentation), as a dataset of vectors. */
async function featureDataset(model: ResNet, data: Dataset, transform: Transform): Promise<TensorDataset> {
  model.eval();
  const loader = createLoader(data, { batchSize: 256, transform });
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  try {
    for await (const batch of loader.epoch(0)) {
      chunks.push(tidy(() => noGrad(() => model.features(imagesToTensor(batch)).dataSync().slice())));
      labels.push(...batch.labels);
    }
  } finally {
    await loader.close();
  }
  if (labels.length === 0) throw new Error('featureDataset: the labelled set is empty');
  const all = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return new TensorDataset(all, [labels.length, all.length / labels.length], Int32Array.from(labels));
}

/**
 * Linear probe: the pretrained backbone frozen; its features of the labelled images are computed once
 * and only a new linear head is trained on them.
 * @example
 * const probe = await runLinearProbe(ctx);
 */
export async function runLinearProbe(ctx: MethodContext): Promise<MethodOutcome> {
  const started = performance.now();
  const model = buildModel(ctx.model, ctx.data.classNames.length, ctx.seed);
  await loadWeights(model, ctx.weights, { skipHead: true });
  const features = await featureDataset(model, ctx.data.labelled, EVAL_TRANSFORM);
  const head = model.head;
  const curve = await fit('linear-probe', {
    model: head, trainData: features,
    args: args(ctx, 'linear-probe', { numTrainEpochs: ctx.budget.probeEpochs, trainBatchSize: 25, learningRate: 0.05, weightDecay: 1e-3, loggingSteps: 10 }),
  }, ctx);
  return finish('linear-probe', model, [curve], started, ctx);
}

/**
 * Fine-tuning (LP-FT): starts from the pretrained backbone with the linear probe's head, keeps the
 * batch-norm statistics frozen, and trains every weight with the backbone's learning rate a tenth of
 * the head's. Starting from a trained head avoids the large gradients of a random one distorting the
 * pretrained features; frozen statistics avoid re-estimating them from 16-image batches.
 * @example
 * const ft = await runFineTune(ctx, probe.model);
 */
export async function runFineTune(ctx: MethodContext, probe: ResNet): Promise<MethodOutcome> {
  const started = performance.now();
  const model = buildModel(ctx.model, ctx.data.classNames.length, ctx.seed);
  await loadWeights(model, ctx.weights, { skipHead: true });
  model.head.loadStateDict(probe.head.stateDict());
  const curve = await trainFineTune(model, ctx.data.labelled, ctx, 'fine-tune', ctx.budget.fineTuneEpochs, TRAIN_TRANSFORM);
  return finish('fine-tune', model, [curve], started, ctx);
}

async function trainFineTune(model: ResNet, data: Dataset, ctx: MethodContext, phase: string, epochs: number, transform: Transform, batchSize = 16): Promise<TrainingCurve> {
  const lr = 0.02;
  return fit(phase, {
    model: new FrozenBatchNorm(model), trainData: data,
    paramGroups: [{ params: model.backboneParameters(), lr: lr / 10 }, { params: model.headParameters(), lr }],
    args: args(ctx, phase, { numTrainEpochs: epochs, trainBatchSize: batchSize, learningRate: lr, warmupRatio: 0.1, trainTransform: transform, loggingSteps: batchSize > 16 ? 5 : 2 }),
  }, ctx);
}

/** What {@link runSelfTraining} returns: the last student, and one row per round. */
export interface SelfTrainingOutcome extends MethodOutcome {
  rows: SelfTrainingRow[];
}

/** Pool logits of a model (eval mode, no augmentation). */
async function poolLogits(model: ResNet, ctx: MethodContext): Promise<{ logits: Float32Array; n: number; classes: number }> {
  const trainer = new Trainer({ model, args: { outputDir: ctx.outputDir, evalBatchSize: 250, evalTransform: EVAL_TRANSFORM } });
  return trainer.predict(ctx.data.pool);
}

/**
 * Self-training: the fine-tuned model labels the pool; the most confident predictions of each class
 * (the same number per class, so the teacher's favourite classes do not pile up) join the labelled
 * images, repeated so that they keep weight; a student starting from the teacher trains on both with
 * stronger augmentation (random erasing on top of crop and flip), and becomes the next teacher.
 * @example
 * const st = await runSelfTraining(ctx, ft.model);
 */
export async function runSelfTraining(ctx: MethodContext, teacher: ResNet): Promise<SelfTrainingOutcome> {
  const started = performance.now();
  const classes = ctx.data.classNames.length;
  const truth = ctx.data.pool.groundTruthForAnalysis();
  const strong = compose(TRAIN_TRANSFORM, randomErasing({ p: 0.5 }));
  const rows: SelfTrainingRow[] = [];
  const curves: TrainingCurve[] = [];
  let current = teacher;
  let last: { testAccuracy: number; macroF1: number; confusion: number[][] } | undefined;
  for (let round = 1; round <= ctx.budget.selfTrainRounds; round++) {
    const roundStart = performance.now();
    const { logits, n } = await poolLogits(current, ctx);
    // @graft/selftrain's selection: per-class adaptive thresholds (at most 0.9), at most perClass * round per class.
    const selection = selectPseudoLabels(logits, n, classes, { threshold: 0.9, balance: 'cap', perClass: ctx.budget.pseudoPerClass * round });
    const predicted = new Int32Array(n).fill(0);
    selection.indices.forEach((item, row) => { predicted[item] = selection.labels[row] as number; });
    const labelled = ctx.data.labelled;
    // The real labels repeated to a quarter of the pseudo-labels, so they are not drowned.
    const repeats = Math.max(1, Math.round(selection.indices.length / (4 * Math.max(1, labelled.length))));
    const pseudo = new Subset(withLabels(ctx.data.pool, predicted), selection.indices);
    const trainData = concat(pseudo, ...Array.from({ length: repeats }, () => labelled));
    const student = buildModel(ctx.model, classes, ctx.seed + round);
    student.loadStateDict(current.stateDict());
    const phase = `self-train round ${round}`;
    curves.push(await trainFineTune(student, trainData, ctx, phase, ctx.budget.studentEpochs, strong, 32));
    if (current !== teacher) current.dispose();
    current = student;
    last = await score(current, ctx);
    ctx.done?.(phase, last.testAccuracy);
    const scored = pseudoLabelAccuracy(selection, truth);
    rows.push({
      round, keptPerClass: selection.keptPerClass, pseudoLabelAccuracy: Number.isNaN(scored.accuracy) ? null : scored.accuracy,
      threshold: Math.min(...selection.thresholds), testAccuracy: last.testAccuracy, macroF1: last.macroF1, seconds: (performance.now() - roundStart) / 1000,
    });
  }
  if (!last) throw new Error('runSelfTraining: budget.selfTrainRounds must be >= 1');
  return { method: 'self-train', model: current, ...last, curves, rows, seconds: (performance.now() - started) / 1000 };
}
