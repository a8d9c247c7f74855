/**
 * The quickstart's four methods on the same labels, each one call into the library:
 * - scratch: @graft/finetune's trainFromScratch (the baseline transfer must beat);
 * - linear probe: linearProbe, a new head on the frozen backbone's cached features;
 * - fine-tune: fineTune's default recipe (LP-FT: the probe first, then every layer with the backbone's
 *   learning rate a tenth of the head's, batch norm in training mode);
 * - self-train: @graft/selftrain's SelfTrainer (Noisy Student rounds with class-balanced, adaptive
 *   pseudo-labels and an honest validation stop) on a teacher fine-tuned the same way.
 * Each returns its trained model and scores; the caller disposes the model.
 */
import { type Device, type ResNet } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '@graft/data';
import {
  classificationReport, confusionMatrix, fineTune, linearProbe, trainFromScratch, Trainer, type EpochRecord, type TrainerCallbacks,
} from '@graft/finetune';
import { SelfTrainer, viewTransforms, type RoundReport } from '@graft/selftrain';
import { EVAL_TRANSFORM, type TransferData } from '../data.js';
import { buildModel, loadWeights, type ModelName } from '../model.js';
import type { MethodName, SelfTrainingRow, TrainingCurve } from '../report/types.js';

/** How much training each method gets; the defaults fit the quickstart's time budget. */
export interface MethodBudget {
  scratchEpochs: number;
  probeEpochs: number;
  fineTuneEpochs: number;
  selfTrainRounds: number;
  /** Passes of each student over its training set. */
  studentEpochs: number;
  /** Pseudo-labels kept per class in a round, at most (default: as many as the smallest class keeps). */
  pseudoPerClass?: number;
}

/** What the methods share. */
export interface MethodContext {
  data: TransferData;
  model: ModelName;
  /** Where the models train. */
  device: Device;
  /** The pretrained backbone the transfer methods start from. */
  weights: string;
  seed: number;
  outputDir: string;
  budget: MethodBudget;
  /** Trainer callbacks for a phase (progress display, Ctrl-C). */
  callbacks(phase: string): TrainerCallbacks;
  /** Called when a phase finishes, with its test accuracy (for the progress display). */
  done?(phase: string, accuracy: number): void;
  /** True once Ctrl-C asked the run to stop. */
  interrupted?(): boolean;
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

/** Inputs as the shipped weights were pretrained on: pixels in [0, 1], then Fashion-MNIST's mean and std. */
const PREPROCESS = EVAL_TRANSFORM;

/** Scores a classifier on the test set. */
async function score(model: ResNet, ctx: MethodContext): Promise<{ testAccuracy: number; macroF1: number; confusion: number[][] }> {
  const classes = ctx.data.classNames.length;
  const trainer = new Trainer({ model, args: { outputDir: ctx.outputDir, evalBatchSize: 250, evalTransform: PREPROCESS } });
  const p = await trainer.predict(ctx.data.test);
  const labels = p.labels ?? new Int32Array(0);
  const report = classificationReport(p.predictions, labels, classes);
  return { testAccuracy: report.accuracy, macroF1: report.macroF1, confusion: confusionMatrix(p.predictions, labels, classes) };
}

/**
 * Collects a method's training loss, step by step, into a curve whose x is the share of the method's
 * training done (in %), so methods of very different lengths share one chart.
 */
class CurveRecorder {
  private readonly losses: number[] = [];
  constructor(private readonly name: string) {}

  add(loss: number): void {
    if (Number.isFinite(loss)) this.losses.push(loss);
  }

  /** Trainer callbacks that record each step's loss, merged with the phase's own. */
  wrap(outer: TrainerCallbacks): TrainerCallbacks {
    return { ...outer, onStepEnd: (s) => { this.add(s.loss); outer.onStepEnd?.(s); } };
  }

  /** At most `maxPoints` points, each the mean loss of a run of consecutive steps. */
  curve(maxPoints = 100): TrainingCurve {
    const n = this.losses.length;
    const per = Math.max(1, Math.ceil(n / maxPoints));
    const points: Array<[number, number]> = [];
    for (let i = 0; i < n; i += per) {
      const chunk = this.losses.slice(i, i + per);
      points.push([(100 * Math.min(n, i + chunk.length)) / n, chunk.reduce((a, b) => a + b, 0) / chunk.length]);
    }
    return { name: this.name, points };
  }
}

function checkInterrupt(ctx: MethodContext, phase: string): void {
  if (ctx.interrupted?.() === true) throw new QuickstartInterrupted(phase);
}

async function finish(method: MethodName, model: ResNet, curves: TrainingCurve[], started: number, ctx: MethodContext): Promise<MethodOutcome> {
  checkInterrupt(ctx, method);
  const scores = await score(model, ctx);
  ctx.done?.(method, scores.testAccuracy);
  return { method, model, ...scores, curves, seconds: (performance.now() - started) / 1000 };
}

/** A fresh model of the context's architecture with the pretrained backbone and a new head. */
async function pretrained(ctx: MethodContext): Promise<ResNet> {
  const model = buildModel(ctx.model, ctx.data.classNames.length, ctx.seed, ctx.device);
  await loadWeights(model, ctx.weights, { skipHead: true });
  return model;
}

/** Probe epochs as a probe's per-epoch losses (it trains on cached features, outside the Trainer). */
function probeEpochs(recorder: CurveRecorder): (e: EpochRecord) => void {
  return (e) => { if (e.phase === 'probe') recorder.add(e.loss); };
}

/**
 * From scratch: a randomly initialised ResNet trained on the labelled images only.
 * @example
 * const scratch = await runScratch(ctx);
 */
export async function runScratch(ctx: MethodContext): Promise<MethodOutcome> {
  const started = performance.now();
  const model = buildModel(ctx.model, ctx.data.classNames.length, ctx.seed, ctx.device);
  const curve = new CurveRecorder('scratch');
  await trainFromScratch(model, ctx.data.labelled, {
    epochs: ctx.budget.scratchEpochs, transform: PREPROCESS, seed: ctx.seed, callbacks: curve.wrap(ctx.callbacks('scratch')),
  });
  return finish('scratch', model, [curve.curve()], started, ctx);
}

/**
 * Linear probe: the pretrained backbone frozen; its features of the labelled images (plain and
 * augmented views) are computed once and only a new linear head is trained on them.
 * @example
 * const probe = await runLinearProbe(ctx);
 */
export async function runLinearProbe(ctx: MethodContext): Promise<MethodOutcome> {
  const started = performance.now();
  const model = await pretrained(ctx);
  const curve = new CurveRecorder('linear-probe');
  const progress = ctx.callbacks('linear-probe');
  await linearProbe(model, ctx.data.labelled, {
    epochs: ctx.budget.probeEpochs, transform: PREPROCESS, seed: ctx.seed,
    onEpochEnd: (e) => {
      curve.add(e.loss);
      progress.onStepEnd?.({ step: e.epoch, totalSteps: ctx.budget.probeEpochs, epoch: e.epoch, loss: e.loss, lr: e.lr, accuracy: e.accuracy, samples: 0 });
    },
  });
  return finish('linear-probe', model, [curve.curve()], started, ctx);
}

/**
 * Fine-tuning, fineTune's default recipe (LP-FT): a linear probe first, so the head agrees with the
 * features before they move; then every layer trains with the backbone's learning rate a tenth of
 * the head's, after a warm-up.
 * @example
 * const ft = await runFineTune(ctx);
 */
export async function runFineTune(ctx: MethodContext): Promise<MethodOutcome> {
  const started = performance.now();
  const model = await pretrained(ctx);
  const curve = new CurveRecorder('fine-tune');
  await fineTune(model, ctx.data.labelled, {
    epochs: ctx.budget.fineTuneEpochs, transform: PREPROCESS, seed: ctx.seed, probe: { epochs: ctx.budget.probeEpochs },
    callbacks: curve.wrap(ctx.callbacks('fine-tune')), onEpochEnd: probeEpochs(curve),
  });
  return finish('fine-tune', model, [curve.curve()], started, ctx);
}

/** What {@link runSelfTraining} returns: the model of the best round, and one row per round (round 0: the teacher). */
export interface SelfTrainingOutcome extends MethodOutcome {
  rows: SelfTrainingRow[];
}

function roundRow(r: RoundReport): SelfTrainingRow {
  const p = r.pseudoLabels;
  return {
    round: r.round, keptPerClass: p?.keptPerClass ?? [], pseudoLabelAccuracy: p?.accuracy ?? null,
    threshold: p ? Math.min(...p.thresholds) : null, validationAccuracy: r.validation.accuracy,
    testAccuracy: r.test?.accuracy ?? Number.NaN, macroF1: r.test?.macroF1 ?? Number.NaN, accepted: r.accepted, seconds: r.seconds,
  };
}

/**
 * Fine-tuning followed by self-training, by @graft/selftrain's SelfTrainer: a fifth of the labels
 * (stratified) is held out to judge the rounds; the teacher is fine-tuned (LP-FT, this run's budget)
 * on the rest; each round it labels the unlabelled pool in evaluation mode, keeps confident
 * predictions with per-class adaptive thresholds and the same count per class, and a student starting
 * from the teacher trains on them plus the repeated real labels under strong augmentation and
 * dropout. A student replaces its teacher unless it scores worse on the held-out labels than the best
 * round so far (by more than one image); then the rounds end.
 * @example
 * const st = await runSelfTraining(ctx);
 */
export async function runSelfTraining(ctx: MethodContext): Promise<SelfTrainingOutcome> {
  const started = performance.now();
  const phaseOf = (round: number): string => (round === 0 ? 'self-train teacher' : `self-train round ${round}`);
  const recorders = new Map<number, CurveRecorder>();
  const progress = new Map<number, TrainerCallbacks>();
  const recorder = (round: number): CurveRecorder => {
    if (!recorders.has(round)) {
      recorders.set(round, new CurveRecorder(phaseOf(round)));
      progress.set(round, ctx.callbacks(phaseOf(round)));
    }
    return recorders.get(round) as CurveRecorder;
  };
  const trainer = new SelfTrainer({
    model: await pretrained(ctx), labelled: ctx.data.labelled, pool: ctx.data.pool, test: ctx.data.test,
    createStudent: () => buildModel(ctx.model, ctx.data.classNames.length, ctx.seed, ctx.device),
    transforms: viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD }),
    rounds: ctx.budget.selfTrainRounds, seed: ctx.seed,
    teacherFineTune: { epochs: ctx.budget.fineTuneEpochs, probe: { epochs: ctx.budget.probeEpochs }, onEpochEnd: probeEpochs(recorder(0)) },
    pseudo: { perClass: ctx.budget.pseudoPerClass },
    studentTraining: { epochs: ctx.budget.studentEpochs },
    callbacks: {
      onStep(round, s) {
        recorder(round).add(s.loss);
        progress.get(round)?.onStepEnd?.({ step: s.step, totalSteps: s.totalSteps, epoch: 0, loss: s.loss, lr: 0, accuracy: 0, samples: 0 });
        // Self-training keeps no checkpoint to resume from: Ctrl-C ends the quickstart after this step.
        if (ctx.interrupted?.() === true) throw new QuickstartInterrupted(phaseOf(round));
      },
      onRound(report) {
        ctx.done?.(phaseOf(report.round), report.test?.accuracy ?? Number.NaN);
      },
    },
  });
  const result = await trainer.run();
  const curves = [...recorders.values()].map((r) => r.curve());
  const best = await finish('self-train', result.model as ResNet, curves, started, ctx);
  return { ...best, rows: result.rounds.map(roundRow) };
}
