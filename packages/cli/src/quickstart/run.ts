/**
 * `graft quickstart`: the main job. Runs the four methods on the same labels, writes the run folder
 * (metrics.json, metrics.jsonl, weights, report.html) and returns the results.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { saveTensors, type Device } from '@graft/core';
import { FASHION_MNIST_CLASSES } from '@graft/data';
import { writeJsonAtomic } from '@graft/finetune';
import { capabilities } from '@graft/native';
import { loadTransferData } from '../data.js';
import { InterruptHook, mergeCallbacks } from '../interrupt.js';
import type { ModelName } from '../model.js';
import { Progress, type ProgressSink } from '../progress.js';
import { renderReport } from '../report/html.js';
import type { MethodResult, RunReport, SelfTrainingRow, StartRow, TrainingCurve } from '../report/types.js';
import { cliVersion } from '../version.js';
import {
  runFineTune, runLinearProbe, runScratch, runSelfTraining, type MethodBudget, type MethodContext, type MethodOutcome,
} from './methods.js';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  outputDir: string;
  /** Pretrained backbone (default: the shipped supervised ResNet-20). */
  weights: string;
  /** Name of that start in the report ('supervised', 'simclr' or the file name). */
  start?: string;
  /** Also run the linear probe and fine-tuning from these other starts (name -> weights file), for the report's comparison. */
  compareStarts?: Record<string, string>;
  model: ModelName;
  /** Where the models train (default the CPU). */
  device?: Device;
  seed: number;
  labelsPerClass: number;
  /** Target classes (Fashion-MNIST indices). */
  classes: number[];
  full?: boolean;
  dataDir?: string;
  /** Overrides of the training budget (tests use small ones). */
  budget?: Partial<MethodBudget>;
  poolLimit?: number;
  testLimit?: number;
  /** Where progress goes. */
  progress: ProgressSink;
  /** Ctrl-C handling (optional). */
  interrupt?: InterruptHook;
}

/** What the quickstart prints with --json. */
export interface QuickstartJson {
  methods: Array<{ method: string; testAccuracy: number; macroF1: number; seconds: number }>;
  selfTraining: SelfTrainingRow[];
  /** Only with compared starts. */
  starts?: StartRow[];
}

/** What {@link runQuickstart} returns. */
export interface QuickstartResult extends QuickstartJson {
  outputDir: string;
  report: RunReport;
  /** Files written in the run folder. */
  files: string[];
}

const DESCRIPTIONS: Record<MethodResult['method'], string> = {
  scratch: 'Random initialisation, trained on the labelled images only.',
  'linear-probe': 'Pretrained backbone frozen; only a new linear head trained on its features.',
  'fine-tune': 'Linear probe first, then every layer trained from the probe\'s head; backbone learning rate 10x smaller (LP-FT).',
  'self-train': 'A fine-tuned teacher labels the pool; class-balanced confident pseudo-labels train a noised student; repeated while held-out labels improve.',
};

/**
 * Default training budget for `labelled` labelled images: the library's recipes (30 epochs, a
 * 100-epoch probe on cached features) at 10 labels per class, fewer epochs (at least 5) as the
 * labelled set grows so each method sees about 1,500 image passes; three self-training rounds of two
 * student epochs, pseudo-labels balanced to the smallest class.
 * @example
 * defaultBudget(50).scratchEpochs; // 30
 */
export function defaultBudget(labelled: number): MethodBudget {
  const epochs = (base: number): number => Math.max(5, Math.min(base, Math.ceil((base * 50) / Math.max(1, labelled))));
  return { scratchEpochs: epochs(30), probeEpochs: 100, fineTuneEpochs: epochs(30), selfTrainRounds: 3, studentEpochs: 2 };
}

function context(o: QuickstartOptions, data: MethodContext['data'], budget: MethodBudget): MethodContext {
  const phases = new Map<string, Progress>();
  const hook = o.interrupt?.callbacks() ?? {};
  return {
    data, model: o.model, device: o.device ?? 'cpu', weights: o.weights, seed: o.seed, outputDir: o.outputDir, budget,
    interrupted: () => hook.shouldInterrupt?.() === true,
    callbacks(phase) {
      const progress = new Progress(o.progress, phase, phase === 'linear-probe' ? {} : { imagesPerStep: phase.startsWith('self-train round') ? 64 : 16 });
      phases.set(phase, progress);
      return mergeCallbacks(progress.callbacks(), hook);
    },
    done(phase, accuracy) {
      phases.get(phase)?.finish(`test accuracy ${(accuracy * 100).toFixed(1)}%`);
    },
  };
}

function toResult(o: MethodOutcome): MethodResult {
  return { method: o.method, testAccuracy: o.testAccuracy, macroF1: o.macroF1, seconds: o.seconds, confusion: o.confusion, description: DESCRIPTIONS[o.method] };
}

/**
 * Runs the quickstart and writes its run folder.
 * @example
 * const result = await runQuickstart({ outputDir: 'runs/q', weights, model: 'resnet20', seed: 0, labelsPerClass: 10,
 *   classes: [5, 6, 7, 8, 9], progress: { write: (t) => process.stderr.write(t), isTTY: false } });
 */
export async function runQuickstart(o: QuickstartOptions): Promise<QuickstartResult> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  mkdirSync(o.outputDir, { recursive: true });
  const data = await loadTransferData({ ...o, poolLimit: o.poolLimit, testLimit: o.testLimit });
  const budget = { ...defaultBudget(data.labelled.length), ...o.budget };
  const ctx = context(o, data, budget);
  const log = (entry: object): void => appendFileSync(join(o.outputDir, 'metrics.jsonl'), `${JSON.stringify({ ...entry, time: new Date().toISOString() })}\n`);
  const outcomes: MethodOutcome[] = [];
  const curves: TrainingCurve[] = [];
  const timings: Record<string, number> = { 'data loading': (performance.now() - started) / 1000 };
  const record = (out: MethodOutcome): void => {
    outcomes.push(out);
    curves.push(...out.curves);
    timings[out.method] = out.seconds;
    log({ event: 'method', method: out.method, testAccuracy: out.testAccuracy, macroF1: out.macroF1, seconds: out.seconds });
  };
  const files: string[] = [];
  const scratch = await runScratch(ctx);
  record(scratch);
  scratch.model.dispose();
  const probe = await runLinearProbe(ctx);
  record(probe);
  probe.model.dispose();
  const fineTune = await runFineTune(ctx);
  record(fineTune);
  await saveWeights(fineTune, o, files);
  fineTune.model.dispose();
  const selfTrain = await runSelfTraining(ctx);
  record(selfTrain);
  for (const row of selfTrain.rows) log({ event: 'self-training-round', ...row });
  await saveWeights(selfTrain, o, files);
  selfTrain.model.dispose();
  const starts = o.compareStarts === undefined ? undefined : await compareStarts(ctx, o, { probe, fineTune }, log, timings);
  timings['total'] = (performance.now() - started) / 1000;
  const report = buildReport(o, data, outcomes.map(toResult), curves, selfTrain.rows, timings, createdAt, budget);
  if (starts) report.starts = starts;
  const json: QuickstartJson = {
    methods: report.methods.map((m) => ({ method: m.method, testAccuracy: m.testAccuracy, macroF1: m.macroF1, seconds: m.seconds })),
    selfTraining: selfTrain.rows,
    ...(starts ? { starts } : {}),
  };
  writeJsonAtomic(join(o.outputDir, 'metrics.json'), { ...json, report });
  writeFileSync(join(o.outputDir, 'report.html'), renderReport(report));
  files.push(join(o.outputDir, 'metrics.json'), join(o.outputDir, 'metrics.jsonl'), join(o.outputDir, 'report.html'));
  return { ...json, outputDir: o.outputDir, report, files };
}

const scoreOf = (m: MethodOutcome): StartRow['fineTune'] => ({ testAccuracy: m.testAccuracy, macroF1: m.macroF1, seconds: m.seconds });

/** The linear probe and fine-tuning from every compared start (the main start's results reused). */
async function compareStarts(
  ctx: MethodContext, o: QuickstartOptions, main: { probe: MethodOutcome; fineTune: MethodOutcome },
  log: (entry: object) => void, timings: Record<string, number>,
): Promise<StartRow[]> {
  const rows: StartRow[] = [{ start: o.start ?? basename(o.weights), weights: o.weights, linearProbe: scoreOf(main.probe), fineTune: scoreOf(main.fineTune) }];
  for (const [start, weights] of Object.entries(o.compareStarts ?? {})) {
    if (weights === o.weights) continue;
    const other: MethodContext = {
      ...ctx, weights, callbacks: (phase) => ctx.callbacks(`${start} ${phase}`), done: (phase, accuracy) => ctx.done?.(`${start} ${phase}`, accuracy),
    };
    const probe = await runLinearProbe(other);
    probe.model.dispose();
    const fineTune = await runFineTune(other);
    fineTune.model.dispose();
    const row: StartRow = { start, weights, linearProbe: scoreOf(probe), fineTune: scoreOf(fineTune) };
    rows.push(row);
    timings[`${start} start`] = probe.seconds + fineTune.seconds;
    log({ event: 'start', ...row });
  }
  return rows;
}

async function saveWeights(out: MethodOutcome, o: QuickstartOptions, files: string[]): Promise<void> {
  const file = join(o.outputDir, `${out.method}.safetensors`);
  await saveTensors(file, out.model.stateDict(), {
    format: 'pt', model: o.model, method: out.method, classes: o.classes.join(','), testAccuracy: out.testAccuracy.toFixed(4),
  });
  files.push(file);
}

/** What the main start was pretrained on, for the report. */
function sourceOf(o: QuickstartOptions): string {
  if (o.start === 'simclr') return 'every Fashion-MNIST training image without labels (SimCLR)';
  if (o.start === 'supervised') return `Fashion-MNIST classes 0-4 (${FASHION_MNIST_CLASSES.slice(0, 5).join(', ')}), supervised`;
  return `the weights in ${o.weights}`;
}

function buildReport(
  o: QuickstartOptions, data: MethodContext['data'], methods: MethodResult[], curves: TrainingCurve[], rows: SelfTrainingRow[],
  timings: Record<string, number>, createdAt: string, budget: MethodBudget,
): RunReport {
  const caps = capabilities();
  return {
    title: 'Graft quickstart: transfer learning on Fashion-MNIST',
    createdAt,
    task: {
      source: sourceOf(o),
      classNames: data.classNames, classes: o.classes, labelsPerClass: o.labelsPerClass,
      labelled: data.labelled.length, pool: data.pool.length, test: data.test.length, data: data.description, weights: o.weights, seed: o.seed,
    },
    methods, curves, selfTraining: rows,
    settings: {
      model: `${o.model}, 1x28x28`, device: o.device ?? 'cpu', 'labels per class': o.labelsPerClass, seed: o.seed,
      'scratch epochs': budget.scratchEpochs, 'linear-probe epochs (cached features, 16 views)': budget.probeEpochs, 'fine-tune epochs (after the probe)': budget.fineTuneEpochs,
      'self-training rounds (at most)': budget.selfTrainRounds, 'student epochs': budget.studentEpochs,
      'pseudo-labels per class': budget.pseudoPerClass === undefined ? 'balanced to the smallest class' : `at most ${budget.pseudoPerClass}`,
      optimizer: 'SGD, momentum 0.9, weight decay 5e-4, cosine schedule with 10% warm-up; probe: AdamW',
      augmentation: 'crop (padding 2), flip; students: RandAugment (2, 10), random erasing, dropout 0.3',
    },
    timings,
    environment: { graft: cliVersion(), node: process.version, isa: caps.isa, threads: caps.threads },
  };
}
