/**
 * The student's training loop: minibatch SGD on per-item target distributions with per-item weights.
 * The Trainer of @graft/finetune trains on hard labels only; self-training needs soft targets,
 * up-weighted labelled items, a distillation temperature and dropout before the head, so this loop
 * takes a {@link TargetSet} and computes
 *   loss = sum_i w_i * CE(softmax(z_i / t_i), target_i) / sum_i w_i,
 * with t_i = the temperature for distillation items (weighted by t^2, as Hinton et al.) and 1 otherwise.
 */
import {
  Classifier, SGD, functional as F, noGrad, tensor, tidy, type Tensor,
} from '@graft/core';
import { createLoader, imagesToTensor, type Dataset, type Transform, type UnlabelledDataset, type UnlabelledSample } from '@graft/data';
import { LRScheduler, type ClassifierModule, type ScheduleName } from '@graft/finetune';

/** Items with a target distribution each: row i of `targets` belongs to `images.get(i)`. */
export interface TargetSet {
  images: UnlabelledDataset;
  /** Row-major (images.length, classes) target distributions (one-hot for hard labels). */
  targets: Float32Array;
  classes: number;
  /** Loss weight per item (default 1). */
  weights?: Float32Array;
  /** 1 where the item's loss uses the distillation temperature (default: none). */
  tempered?: Uint8Array;
}

/** Options of {@link trainOnTargets}. */
export interface StudentTrainingOptions {
  /** Passes over the target set (default 2); `steps` overrides it. */
  epochs?: number;
  /** Optimizer steps in all. */
  steps?: number;
  /** Items per step (default 64). */
  batchSize?: number;
  /** Peak learning rate of SGD with momentum (default 0.02). */
  learningRate?: number;
  /** The backbone's learning rate as a fraction of the head's, for Classifier models (default 1). */
  backboneLrScale?: number;
  momentum?: number;
  /** Default 5e-4. */
  weightDecay?: number;
  /** Default 'cosine'. */
  schedule?: ScheduleName;
  warmupSteps?: number;
  /** Dropout on the features before the head, for Classifier models: the student's model noise (default 0). */
  dropout?: number;
  /** Per-item training transform ending in float32: the student's input noise (default: none). */
  transform?: Transform;
  /** Temperature of tempered (distillation) items (default 1). */
  temperature?: number;
  /** Seeds shuffling, augmentation and dropout (default 0). */
  seed?: number;
  /** Progress after each optimizer step. */
  onStep?: (state: { step: number; totalSteps: number; loss: number }) => void;
}

/** What {@link trainOnTargets} returns. */
export interface StudentTrainingResult {
  steps: number;
  /** Mean loss over the last epoch's steps (or all steps when fewer than one epoch ran). */
  finalLoss: number;
  seconds: number;
}

/**
 * Checks student-training options; throws an Error naming `where` and the bad option.
 * @example
 * checkTrainingOptions({ dropout: 1 }); // throws: trainOnTargets: dropout must be in [0, 1), got 1
 */
export function checkTrainingOptions(o: StudentTrainingOptions, where = 'trainOnTargets'): void {
  const positiveInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new Error(`${where}: ${name} must be an integer >= 1, got ${v}`);
  };
  positiveInt('epochs', o.epochs);
  positiveInt('steps', o.steps);
  positiveInt('batchSize', o.batchSize);
  const positive = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new Error(`${where}: ${name} must be a number > 0, got ${v}`);
  };
  positive('learningRate', o.learningRate);
  positive('temperature', o.temperature);
  if (o.backboneLrScale !== undefined && !(o.backboneLrScale >= 0 && o.backboneLrScale <= 1)) {
    throw new Error(`${where}: backboneLrScale must be in [0, 1], got ${o.backboneLrScale}`);
  }
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new Error(`${where}: dropout must be in [0, 1), got ${o.dropout}`);
}

/**
 * Trains `model` in place on a target set.
 * @example
 * const set = targetSet([{ data: labelled, repeat: 3 }], 5);
 * await trainOnTargets(model, set, { epochs: 30, learningRate: 0.02, transform: strong, dropout: 0.3 });
 */
export async function trainOnTargets(model: ClassifierModule, set: TargetSet, options: StudentTrainingOptions = {}): Promise<StudentTrainingResult> {
  checkTrainingOptions(options);
  const started = performance.now();
  const n = set.images.length;
  if (n === 0) throw new Error('trainOnTargets: the target set is empty');
  if (set.targets.length !== n * set.classes) throw new Error(`trainOnTargets: targets has ${set.targets.length} values, expected ${n} x ${set.classes}`);
  const batchSize = Math.min(options.batchSize ?? 64, n);
  const seed = options.seed ?? 0;
  // dropLast keeps BatchNorm away from tiny last batches; each epoch reshuffles, so no item is always left out.
  const loader = createLoader(set.images, { batchSize, shuffle: true, seed, dropLast: true, transform: options.transform });
  const totalSteps = options.steps ?? (options.epochs ?? 2) * loader.length;
  const optimizer = buildOptimizer(model, options);
  const scheduler = new LRScheduler(optimizer, { name: options.schedule ?? 'cosine', totalSteps, warmupSteps: options.warmupSteps ?? 0 });
  let step = 0;
  let epochLoss = 0, epochSteps = 0;
  const device = model.device;
  model.train();
  try {
    for (let epoch = 0; step < totalSteps; epoch++) {
      epochLoss = 0; epochSteps = 0;
      for await (const batch of loader.epoch(epoch)) {
        const loss = tidy(() => {
          const l = batchLoss(model, imagesToTensor(batch, device), batch.indices, set, options, seed * 1_000_003 + step);
          l.backward();
          noGrad(() => optimizer.step());
          optimizer.zeroGrad();
          return l.item();
        });
        if (!Number.isFinite(loss)) throw new Error(`trainOnTargets: the loss became ${loss} at step ${step + 1}; lower learningRate`);
        scheduler.step();
        step++; epochLoss += loss; epochSteps++;
        options.onStep?.({ step, totalSteps, loss });
        if (step >= totalSteps) break;
      }
    }
  } finally {
    await loader.close();
    optimizer.zeroGrad();
  }
  return { steps: step, finalLoss: epochLoss / Math.max(1, epochSteps), seconds: (performance.now() - started) / 1000 };
}

function buildOptimizer(model: ClassifierModule, o: StudentTrainingOptions): SGD {
  const lr = o.learningRate ?? 0.02;
  const hyper = { lr, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 5e-4 };
  const scale = o.backboneLrScale ?? 1;
  if (model instanceof Classifier && scale !== 1) {
    const backbone = model.backboneParameters().filter((p) => p.requiresGrad);
    const head = model.headParameters().filter((p) => p.requiresGrad);
    return new SGD([{ params: backbone, lr: lr * scale }, { params: head, lr }], hyper);
  }
  return new SGD(model.parameters().filter((p) => p.requiresGrad), hyper);
}

/**
 * The model's logits with dropout on the head's input (Classifier models; others run as they are).
 * @example
 * const logits = noisyForward(model, images, 0.3, step); // training-mode forward with model noise
 */
export function noisyForward(model: ClassifierModule, x: Tensor, dropout: number, seed: number): Tensor {
  if (dropout > 0 && model instanceof Classifier) {
    return model.head.forward(F.dropout(model.features(x), dropout, { training: true, seed }));
  }
  return model.forward(x);
}

function batchLoss(model: ClassifierModule, x: Tensor, rows: Int32Array, set: TargetSet, o: StudentTrainingOptions, seed: number): Tensor {
  const c = set.classes;
  const b = rows.length;
  const temperature = o.temperature ?? 1;
  const targets = new Float32Array(b * c);
  const weights = new Float32Array(b);
  const scaled = new Float32Array(b);
  const tempered = new Float32Array(b);
  rows.forEach((r, j) => {
    targets.set(set.targets.subarray(r * c, (r + 1) * c), j * c);
    const soft = set.tempered?.[r] === 1 && temperature !== 1;
    tempered[j] = soft ? 1 : 0;
    weights[j] = set.weights?.[r] ?? 1;
    // Tempered items' gradients shrink as 1/t^2; t^2 restores their scale (Hinton et al. 2015).
    // It multiplies the item's loss only, not the normaliser, or it would cancel out.
    scaled[j] = (weights[j] as number) * (soft ? temperature * temperature : 1);
  });
  const logits = noisyForward(model, x, o.dropout ?? 0, seed);
  if (logits.shape[1] !== c) throw new Error(`trainOnTargets: the model predicts ${logits.shape[1]} classes but the targets have ${c}`);
  let logProbs = logits.logSoftmax(1);
  if (tempered.some((t) => t === 1)) {
    const mask = tensor(tempered, { shape: [b, 1], device: x.device });
    logProbs = logProbs.mul(mask.neg().add(1)).add(logits.div(temperature).logSoftmax(1).mul(mask));
  }
  const perItem = logProbs.mul(tensor(targets, { shape: [b, c], device: x.device })).sum(1).neg();
  const total = weights.reduce((a, v) => a + v, 0);
  return perItem.mul(tensor(scaled, { shape: [b], device: x.device })).sum().div(total);
}

/**
 * One source of a target set: a labelled dataset (one-hot targets) or images with given targets.
 * @example
 * const sources: TargetSource[] = [{ data: labelled, repeat: 3 }, { images: pool, indices: sel.indices, targets: sel.targets }];
 */
export type TargetSource =
  | { data: Dataset; weight?: number; repeat?: number }
  | { images: UnlabelledDataset; indices: Int32Array; targets: Float32Array; weight?: number; tempered?: boolean };

/**
 * Joins sources into one {@link TargetSet}: labelled data (optionally repeated or up-weighted) and
 * pool items with pseudo-label targets (`indices` into `images`, rows of `targets` aligned with them).
 * @example
 * const set = targetSet([{ data: labelled, repeat: 4 }, { images: pool, indices: sel.indices, targets: sel.targets }], 5);
 */
export function targetSet(sources: readonly TargetSource[], classes: number): TargetSet {
  const items: Array<{ images: UnlabelledDataset; index: number }> = [];
  const targets: number[] = [];
  const weights: number[] = [];
  const tempered: number[] = [];
  for (const s of sources) {
    const weight = s.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) throw new Error(`targetSet: weight must be a number > 0, got ${weight}`);
    if ('data' in s) {
      const repeat = s.repeat ?? 1;
      if (!(Number.isInteger(repeat) && repeat >= 1)) throw new Error(`targetSet: repeat must be an integer >= 1, got ${repeat}`);
      for (let r = 0; r < repeat; r++) {
        for (let i = 0; i < s.data.length; i++) {
          const label = s.data.label(i);
          if (!(Number.isInteger(label) && label >= 0 && label < classes)) throw new Error(`targetSet: item ${i} has label ${label}, not a class in [0, ${classes})`);
          items.push({ images: s.data, index: i });
          for (let j = 0; j < classes; j++) targets.push(j === label ? 1 : 0);
          weights.push(weight); tempered.push(0);
        }
      }
    } else {
      if (s.targets.length !== s.indices.length * classes) throw new Error(`targetSet: targets has ${s.targets.length} values for ${s.indices.length} items x ${classes} classes`);
      s.indices.forEach((index, row) => {
        items.push({ images: s.images, index });
        for (let j = 0; j < classes; j++) targets.push(s.targets[row * classes + j] as number);
        weights.push(weight); tempered.push(s.tempered ? 1 : 0);
      });
    }
  }
  const images: UnlabelledDataset = {
    length: items.length,
    get(i: number): UnlabelledSample {
      const it = items[i];
      if (it === undefined) throw new RangeError(`targetSet: index ${i} is out of range for ${items.length} items`);
      const { image, shape } = it.images.get(it.index);
      return { image, shape };
    },
  };
  return { images, targets: Float32Array.from(targets), classes, weights: Float32Array.from(weights), tempered: Uint8Array.from(tempered) };
}
