/**
 * The Trainer: a supervised training loop for classifiers with evaluation, logging, atomic
 * checkpoints, exact resumption and early stopping.
 *
 * Exact resumption holds because every source of randomness is a function of saved state: batches
 * and augmentations come from (seed, epoch, index), module randomness from the checkpointed
 * generator, and the schedule from the step. Checkpoints are taken at optimizer-step boundaries.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam, AdamW, SGD, autoDevice, clipGradNorm, defaultGenerator, functional as F, loadCheckpoint, noGrad, saveCheckpoint, tensor, tidy,
  type Device, type Hyper, type Module, type Optimizer, type Tensor,
} from '@graft/core';
import { Subset, batchToTensors, createLoader, imagesToTensor, type DataLoader, type Batch, type Dataset, type UnlabelledDataset } from '@graft/data';
import { resolveArguments, type ResolvedArguments, type TrainingArguments } from './args.js';
import { argmaxRows, classificationReport } from './metrics.js';
import { LRScheduler } from './schedules.js';
import { writeJsonAtomic } from './files.js';

/** The optimizers the Trainer builds (args.optimizer). */
export type TrainerOptimizer = SGD | Adam | AdamW;

/** A classifier: images (N, C, H, W) to logits (N, classes). */
export type ClassifierModule = Module<[Tensor], Tensor>;

/** What evaluation computes: named numbers (accuracy, macroF1, loss, ...). */
export type Metrics = Record<string, number>;

/** Predictions over a dataset. */
export interface Predictions {
  /** Row-major (n, classes) logits. */
  logits: Float32Array;
  n: number;
  classes: number;
  /** Arg-max class per item. */
  predictions: Int32Array;
  /** True labels, when the dataset has them. */
  labels?: Int32Array;
}

/** A line of metrics.jsonl and the argument of {@link TrainerCallbacks.onLog}. */
export interface LogEntry {
  step: number;
  epoch: number;
  [key: string]: number | string;
}

/** Hooks the Trainer calls; the CLI uses them for progress bars. */
export interface TrainerCallbacks {
  /** After each optimizer step: `accuracy` is the fraction of the step's `samples` (training mode, augmented) predicted right. */
  onStepEnd?(state: { step: number; totalSteps: number; epoch: number; loss: number; lr: number; accuracy: number; samples: number }): void;
  onLog?(entry: LogEntry): void;
  onEvaluate?(metrics: Metrics, step: number): void;
  onSave?(file: string, step: number): void;
  /** Asked after every optimizer step; true saves a checkpoint there and ends training (stoppedBy 'interrupt'), e.g. on Ctrl-C. */
  shouldInterrupt?(): boolean;
}

/** Everything a Trainer needs. */
export interface TrainerOptions {
  model: ClassifierModule;
  args: TrainingArguments;
  trainData?: Dataset;
  evalData?: Dataset;
  /** Number of classes the head predicts; default: the model's output width, found on one item. */
  numClasses?: number;
  /** Extra metrics from predictions; merged over the defaults (accuracy, macroF1, loss). */
  computeMetrics?: (p: Predictions) => Metrics;
  /** Parameter groups for the optimizer (e.g. a smaller learning rate for the backbone); default: all trainable parameters. */
  paramGroups?: Array<{ params: Tensor[]; lr?: number; weightDecay?: number }>;
  callbacks?: TrainerCallbacks;
}

/** What {@link Trainer.train} returns. */
export interface TrainResult {
  globalStep: number;
  /** Mean training loss over the run (the steps this process ran). */
  trainLoss: number;
  /** The last evaluation, if any. */
  metrics?: Metrics;
  bestMetric?: number;
  bestCheckpoint?: string;
  /** Why training stopped: all steps done, or early stopping. */
  stoppedBy: 'maxSteps' | 'earlyStopping' | 'interrupt';
  seconds: number;
}

/** Thrown when the loss becomes NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: number) {
    super(`Trainer: the loss became ${loss} at optimizer step ${step + 1}; training stopped (the last good checkpoint is kept)`);
    this.name = 'NonFiniteLossError';
  }
}

interface TrainerState {
  bestMetric?: number;
  bestCheckpoint?: string;
  checkpoints: string[];
  evalsWithoutImprovement: number;
}

/**
 * Trains and evaluates a classifier. Batches go to the model's device: move the model first
 * (`model.to('cuda')`) or set `args.device`.
 * @example
 * const trainer = new Trainer({ model, args: { outputDir: 'runs/ft', numTrainEpochs: 5, evalStrategy: 'epoch' }, trainData, evalData });
 * const result = await trainer.train();
 * const metrics = await trainer.evaluate();
 */
export class Trainer {
  readonly args: ResolvedArguments;
  readonly model: ClassifierModule;
  private readonly options: TrainerOptions;
  private optimizer?: TrainerOptimizer;
  private state: TrainerState = { checkpoints: [], evalsWithoutImprovement: 0 };

  constructor(options: TrainerOptions) {
    this.options = options;
    this.model = options.model;
    this.args = resolveArguments(options.args);
    if (this.args.device !== undefined) this.model.to(this.args.device === 'auto' ? autoDevice() : this.args.device);
    if (this.args.evalStrategy !== 'no' && !options.evalData) {
      throw new Error(`Trainer: evalStrategy '${this.args.evalStrategy}' needs evalData`);
    }
  }

  /** Runs the training loop; resumes first when args.resumeFromCheckpoint says so. */
  async train(): Promise<TrainResult> {
    const started = performance.now();
    const { args } = this;
    const trainData = this.options.trainData;
    if (!trainData || trainData.length === 0) throw new Error('Trainer.train: trainData is missing or empty');
    await this.checkHeadFitsLabels(trainData);
    if (this.options.evalData) this.checkMetricIsComputed();
    mkdirSync(args.outputDir, { recursive: true });

    const loader = createLoader(trainData, {
      batchSize: args.trainBatchSize, shuffle: true, seed: args.seed, transform: args.trainTransform, workers: args.dataloaderWorkers,
    });
    const batchesPerEpoch = loader.length;
    const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / args.gradientAccumulationSteps));
    const totalSteps = args.maxSteps ?? args.numTrainEpochs * stepsPerEpoch;
    const optimizer = this.buildOptimizer();
    const warmupSteps = args.warmupSteps ?? Math.floor(args.warmupRatio * totalSteps);
    const scheduler = new LRScheduler(optimizer, { name: args.lrScheduler, totalSteps, warmupSteps });

    let step = 0;
    if (args.resumeFromCheckpoint) step = await this.resume(optimizer, scheduler);
    const startStep = step;
    let lossSum = 0, lossCount = 0, logSum = 0, logCount = 0;
    let stoppedBy: TrainResult['stoppedBy'] = 'maxSteps';
    let lastMetrics: Metrics | undefined;
    const device = this.model.device;
    this.model.train();
    try {
      let epoch = Math.floor(step / stepsPerEpoch);
      let skipBatches = (step - epoch * stepsPerEpoch) * args.gradientAccumulationSteps;
      training: for (; step < totalSteps; epoch++) {
        let micro = 0, correct = 0, samples = 0;
        let batchInEpoch = -1;
        for await (const batch of loader.epoch(epoch)) {
          batchInEpoch++;
          if (skipBatches > 0) { skipBatches--; continue; }
          // A trailing group smaller than the accumulation count is dropped, so every step sees the same count.
          if (batchInEpoch >= stepsPerEpoch * args.gradientAccumulationSteps) break;
          const { loss, right } = this.accumulate(batch, device);
          if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, loss);
          correct += right; samples += batch.labels.length;
          lossSum += loss; lossCount++; logSum += loss; logCount++;
          if (++micro < args.gradientAccumulationSteps) continue;
          micro = 0;
          if (args.maxGradNorm !== undefined) clipGradNorm(this.trainable(), args.maxGradNorm);
          optimizer.step();
          optimizer.zeroGrad();
          const lr = optimizer.paramGroups[0]?.lr ?? 0;
          scheduler.step();
          step++;
          this.options.callbacks?.onStepEnd?.({ step, totalSteps, epoch, loss, lr, accuracy: correct / samples, samples });
          correct = 0; samples = 0;
          if (step % args.loggingSteps === 0) {
            this.log({ step, epoch, loss: logSum / logCount, learningRate: lr });
            logSum = 0; logCount = 0;
          }
          if (args.evalStrategy === 'steps' && step % args.evalSteps === 0) lastMetrics = await this.evaluateAndTrack(step, epoch);
          if (args.saveStrategy === 'steps' && step % args.saveSteps === 0) await this.save(step, epoch, scheduler);
          if (this.shouldStopEarly()) { stoppedBy = 'earlyStopping'; break training; }
          if (this.options.callbacks?.shouldInterrupt?.()) {
            if (args.saveStrategy !== 'steps' || step % args.saveSteps !== 0) await this.save(step, epoch, scheduler);
            stoppedBy = 'interrupt';
            break training;
          }
          if (step >= totalSteps) break;
        }
        if (args.evalStrategy === 'epoch') lastMetrics = await this.evaluateAndTrack(step, epoch);
        if (args.saveStrategy === 'epoch') await this.save(step, epoch, scheduler);
        if (this.shouldStopEarly()) { stoppedBy = 'earlyStopping'; break; }
      }
    } finally {
      await loader.close();
      optimizer.zeroGrad();
    }
    if (args.loadBestModelAtEnd && this.state.bestCheckpoint) await loadCheckpoint(this.state.bestCheckpoint, this.model as Module<never, unknown>);
    const result: TrainResult = {
      globalStep: step, trainLoss: lossCount ? lossSum / lossCount : NaN, metrics: lastMetrics,
      bestMetric: this.state.bestMetric, bestCheckpoint: this.state.bestCheckpoint, stoppedBy,
      seconds: (performance.now() - started) / 1000,
    };
    this.log({ step, epoch: step / stepsPerEpoch, trainLoss: result.trainLoss, stepsRun: step - startStep, seconds: result.seconds, stoppedBy });
    return result;
  }

  /**
   * Evaluates on `data` (default: evalData): accuracy, macroF1, loss, plus computeMetrics' own.
   * @example
   * const { accuracy, macroF1 } = await trainer.evaluate(testSet);
   */
  async evaluate(data?: Dataset): Promise<Metrics> {
    const dataset = data ?? this.options.evalData;
    if (!dataset) throw new Error('Trainer.evaluate: no evaluation data (pass a dataset or set evalData)');
    const p = await this.predict(dataset);
    if (!p.labels) throw new Error('Trainer.evaluate: the dataset has no labels');
    const classes = p.classes;
    const report = classificationReport(p.predictions, p.labels, classes);
    const loss = tidy(() => {
      const logits = tensor(p.logits, { shape: [p.n, classes] });
      return F.crossEntropy(logits, tensor(p.labels as Int32Array, { shape: [p.n], dtype: 'int32' })).item();
    });
    return { accuracy: report.accuracy, macroF1: report.macroF1, loss, ...(this.options.computeMetrics?.(p) ?? {}) };
  }

  /**
   * Logits and arg-max predictions for every item, in dataset order, computed in batches in eval
   * mode without gradients (the model's train/eval mode is restored afterwards).
   * @example
   * const { predictions } = await trainer.predict(pool);
   */
  async predict(data: Dataset | UnlabelledDataset): Promise<Predictions> {
    const wasTraining = this.model.training;
    this.model.eval();
    const loader = createLoader(data as Dataset, { batchSize: this.args.evalBatchSize, transform: this.args.evalTransform, workers: this.args.dataloaderWorkers });
    const chunks: Float32Array[] = [];
    const labels: number[] = [];
    let classes = 0;
    const device = this.model.device;
    try {
      for await (const batch of loader.epoch(0)) {
        const logits = tidy(() => noGrad(() => this.model.forward(imagesToTensor(batch, device)).dataSync().slice()));
        classes = logits.length / batch.indices.length;
        chunks.push(logits);
        if ('labels' in batch && batch.labels) labels.push(...(batch.labels as Int32Array));
      }
    } finally {
      await loader.close();
      if (wasTraining) this.model.train();
    }
    const n = data.length;
    const all = new Float32Array(n * classes);
    let offset = 0;
    for (const c of chunks) { all.set(c, offset); offset += c.length; }
    return { logits: all, n, classes, predictions: argmaxRows(all, n, classes), labels: labels.length === n && n > 0 ? Int32Array.from(labels) : undefined };
  }

  /** Forward and backward of one batch on `device` (the model's): its mean loss and how many of its items the logits got right. */
  private accumulate(batch: Batch, device: Device): { loss: number; right: number } {
    return tidy(() => {
      const { images, labels } = batchToTensors(batch, device);
      const logits = this.model.forward(images);
      const loss = F.crossEntropy(logits, labels, { labelSmoothing: this.args.labelSmoothing });
      const scaled = this.args.gradientAccumulationSteps > 1 ? loss.div(this.args.gradientAccumulationSteps) : loss;
      scaled.backward();
      const n = batch.labels.length;
      const predicted = argmaxRows(logits.dataSync(), n, logits.numel / n);
      let right = 0;
      for (let i = 0; i < n; i++) if (predicted[i] === batch.labels[i]) right++;
      return { loss: loss.item(), right };
    });
  }

  private trainable(): Tensor[] {
    return this.model.parameters().filter((p) => p.requiresGrad);
  }

  private buildOptimizer(): TrainerOptimizer {
    const { args } = this;
    const groups = this.options.paramGroups ?? [{ params: this.trainable() }];
    if (groups.every((g) => g.params.length === 0)) throw new Error('Trainer: no trainable parameters (every parameter is frozen)');
    const lr = args.learningRate;
    const weightDecay = args.weightDecay;
    const optimizer: TrainerOptimizer = args.optimizer === 'sgd'
      ? new SGD(groups, { lr, momentum: args.momentum, weightDecay })
      : args.optimizer === 'adam' ? new Adam(groups, { lr, weightDecay }) : new AdamW(groups, { lr, weightDecay });
    this.optimizer = optimizer;
    return optimizer;
  }

  private async checkHeadFitsLabels(data: Dataset): Promise<void> {
    let maxLabel = -1;
    for (let i = 0; i < data.length; i++) maxLabel = Math.max(maxLabel, data.label(i));
    const classes = this.options.numClasses ?? await this.outputWidth(data);
    if (maxLabel >= classes) {
      throw new Error(`Trainer: the model predicts ${classes} classes but the training labels go up to ${maxLabel}; replace the head (model.replaceHead(${maxLabel + 1})) or remap the labels`);
    }
  }

  private async outputWidth(data: Dataset): Promise<number> {
    const one = new Subset(data, [0]);
    const wasTraining = this.model.training;
    this.model.eval();
    const loader = createLoader(one, { batchSize: 1, transform: this.args.evalTransform });
    try {
      return await firstBatchWidth(loader, this.model);
    } finally {
      await loader.close();
      if (wasTraining) this.model.train();
    }
  }

  private checkMetricIsComputed(): void {
    const known = ['accuracy', 'macroF1', 'loss'];
    if (!known.includes(this.args.metricForBestModel) && !this.options.computeMetrics) {
      throw new Error(`Trainer: metricForBestModel '${this.args.metricForBestModel}' is not computed (known: ${known.join(', ')}; add it with computeMetrics)`);
    }
  }

  private async evaluateAndTrack(step: number, epoch: number): Promise<Metrics> {
    const metrics = await this.evaluate();
    const name = this.args.metricForBestModel;
    const value = metrics[name];
    if (value === undefined) throw new Error(`Trainer: metricForBestModel '${name}' is not among the computed metrics (${Object.keys(metrics).join(', ')})`);
    const better = this.state.bestMetric === undefined ||
      (this.args.greaterIsBetter ? value > this.state.bestMetric + this.args.earlyStoppingThreshold : value < this.state.bestMetric - this.args.earlyStoppingThreshold);
    if (better) { this.state.bestMetric = value; this.state.evalsWithoutImprovement = 0; this.pendingBest = true; }
    else this.state.evalsWithoutImprovement++;
    this.log({ step, epoch, ...prefixed('eval', metrics) });
    this.options.callbacks?.onEvaluate?.(metrics, step);
    return metrics;
  }

  private pendingBest = false;

  private shouldStopEarly(): boolean {
    const patience = this.args.earlyStoppingPatience;
    return patience !== undefined && this.state.evalsWithoutImprovement >= patience;
  }

  private async save(step: number, epoch: number, scheduler: LRScheduler): Promise<void> {
    const file = join(this.args.outputDir, `checkpoint-${String(step).padStart(8, '0')}.safetensors`);
    await saveCheckpoint(file, {
      model: this.model as Module<never, unknown>, optimizer: this.optimizer as unknown as Optimizer<Hyper> | undefined, step, scheduler: scheduler.stateDict(),
      extra: { epoch, bestMetric: this.state.bestMetric ?? null }, rng: defaultGenerator().getState(),
    });
    if (this.pendingBest) { this.state.bestCheckpoint = file; this.pendingBest = false; }
    this.state.checkpoints.push(file);
    this.rotate();
    writeJsonAtomic(join(this.args.outputDir, 'trainer_state.json'), { step, epoch, ...this.state });
    this.options.callbacks?.onSave?.(file, step);
  }

  private rotate(): void {
    const limit = this.args.saveTotalLimit;
    if (limit === undefined) return;
    while (this.state.checkpoints.length > limit) {
      const victim = this.state.checkpoints.find((c) => c !== this.state.bestCheckpoint);
      if (!victim || this.state.checkpoints.length <= limit) break;
      rmSync(victim, { force: true });
      this.state.checkpoints = this.state.checkpoints.filter((c) => c !== victim);
    }
  }

  private async resume(optimizer: TrainerOptimizer, scheduler: LRScheduler): Promise<number> {
    const spec = this.args.resumeFromCheckpoint;
    const file = typeof spec === 'string' ? spec : newestCheckpoint(this.args.outputDir);
    if (!file) throw new Error(`Trainer: resumeFromCheckpoint is set but ${this.args.outputDir} holds no checkpoint-*.safetensors`);
    if (!existsSync(file)) throw new Error(`Trainer: checkpoint ${file} does not exist`);
    const loaded = await loadCheckpoint(file, this.model as Module<never, unknown>, { optimizer: optimizer as unknown as Optimizer<Hyper> });
    scheduler.loadStateDict(loaded.scheduler as { step: number; baseLrs?: number[] });
    const extra = (loaded.extra ?? {}) as { bestMetric?: number | null };
    if (typeof extra.bestMetric === 'number') this.state.bestMetric = extra.bestMetric;
    this.state.checkpoints = listCheckpoints(this.args.outputDir);
    return loaded.step;
  }

  private log(entry: LogEntry): void {
    appendFileSync(join(this.args.outputDir, 'metrics.jsonl'), `${JSON.stringify({ ...entry, time: new Date().toISOString() })}\n`);
    this.options.callbacks?.onLog?.(entry);
  }
}

function prefixed(prefix: string, metrics: Metrics): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k[0]?.toUpperCase()}${k.slice(1)}`, v]));
}

function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^checkpoint-\d+\.safetensors$/.test(f)).sort().map((f) => join(dir, f));
}

function newestCheckpoint(dir: string): string | undefined {
  return listCheckpoints(dir).at(-1);
}

async function firstBatchWidth(loader: DataLoader<Batch>, model: ClassifierModule): Promise<number> {
  for await (const batch of loader.epoch(0)) {
    return tidy(() => noGrad(() => model.forward(imagesToTensor(batch, model.device)).shape[1] ?? 0));
  }
  return 0;
}
