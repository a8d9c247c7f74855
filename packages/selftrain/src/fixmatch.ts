/**
 * FixMatch (Sohn et al. 2020), the online variant of pseudo-labelling: in every step the model labels
 * a weakly augmented view of unlabelled images, and the labels whose confidence reaches the threshold
 * supervise a strongly augmented view of the same images:
 *   loss = CE(labelled) + lambdaU * mean over the mu*B unlabelled items of [conf >= tau] * CE(strong, label(weak)).
 * The three views go through the model as one batch (BatchNorm sees them together, as in the paper);
 * the weak view's logits are read without gradient.
 */
import { SGD, noGrad, cat, tensor, tidy, type Device, type Tensor } from '@graft/core';
import { batchToTensors, createLoader, imagesToTensor, type Batch, type DataLoader, type Dataset, type UnlabelledBatch, type UnlabelledDataset } from '@graft/data';
import { LRScheduler, type ClassifierModule } from '@graft/finetune';
import { softmaxRows } from './predict.js';
import { argmaxWithConfidence } from './select.js';
import type { ViewTransforms } from './transforms.js';

/** Settings of {@link fixMatch}. */
export interface FixMatchOptions {
  model: ClassifierModule;
  labelled: Dataset;
  pool: UnlabelledDataset;
  /** The weak view labels, the strong view learns; the labelled batch uses the weak view. */
  transforms: ViewTransforms;
  /** Optimizer steps (default 200). */
  steps?: number;
  /** Labelled items per step (default 16). */
  batchSize?: number;
  /** Unlabelled items per labelled item in a step (default 7). */
  mu?: number;
  /** Confidence a weak-view prediction needs to become a label, in (0, 1] (default 0.95). */
  threshold?: number;
  /** Weight of the unlabelled loss (default 1). */
  unlabelledWeight?: number;
  /** SGD with momentum 0.9 and cosine decay (defaults: 0.03, weight decay 5e-4). */
  learningRate?: number;
  weightDecay?: number;
  seed?: number;
  onStep?: (state: FixMatchStep) => void;
}

/** Progress of one FixMatch step. */
export interface FixMatchStep {
  step: number;
  totalSteps: number;
  loss: number;
  supervisedLoss: number;
  unlabelledLoss: number;
  /** Fraction of the step's unlabelled items whose weak-view confidence reached the threshold. */
  maskRate: number;
}

/** What {@link fixMatch} returns. */
export interface FixMatchResult {
  steps: number;
  /** Mean mask rate over the last tenth of the steps. */
  finalMaskRate: number;
  seconds: number;
}

function checkFixMatch(o: FixMatchOptions): void {
  const where = 'fixMatch';
  if (!o.pool || o.pool.length === 0) throw new Error(`${where}: the unlabelled pool is empty (expected at least one item)`);
  if (!o.labelled || o.labelled.length === 0) throw new Error(`${where}: labelled is empty (expected at least one labelled item)`);
  const threshold = o.threshold ?? 0.95;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`${where}: threshold must be in (0, 1], got ${threshold}`);
  for (const [name, v] of [['steps', o.steps], ['batchSize', o.batchSize], ['mu', o.mu]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new Error(`${where}: ${name} must be an integer >= 1, got ${v}`);
  }
  for (const [name, v] of [['learningRate', o.learningRate], ['unlabelledWeight', o.unlabelledWeight]] as const) {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new Error(`${where}: ${name} must be a number >= 0, got ${v}`);
  }
}

/** Endless batches: epoch after epoch of a loader. */
async function* cycle<B extends UnlabelledBatch>(loader: DataLoader<B>): AsyncGenerator<B> {
  for (let e = 0; ; e++) yield* loader.epoch(e);
}

/**
 * Trains `model` in place with FixMatch.
 * @example
 * const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
 * await fixMatch({ model, labelled, pool, transforms: views, steps: 500, mu: 7, threshold: 0.95 });
 */
export async function fixMatch(o: FixMatchOptions): Promise<FixMatchResult> {
  checkFixMatch(o);
  const started = performance.now();
  const { model, transforms } = o;
  const seed = o.seed ?? 0;
  const totalSteps = o.steps ?? 200;
  const b = Math.min(o.batchSize ?? 16, o.labelled.length);
  const ub = Math.min(b * (o.mu ?? 7), o.pool.length);
  const loaders = {
    labelled: createLoader(o.labelled, { batchSize: b, shuffle: true, seed, dropLast: true, transform: transforms.weak }),
    // The same seed and batch size give both pool loaders the same order: batch j holds the same images.
    weak: createLoader(o.pool, { batchSize: ub, shuffle: true, seed: seed + 1, dropLast: true, transform: transforms.weak }),
    strong: createLoader(o.pool, { batchSize: ub, shuffle: true, seed: seed + 1, dropLast: true, transform: transforms.strong }),
  };
  const streams = { labelled: cycle<Batch>(loaders.labelled), weak: cycle(loaders.weak), strong: cycle(loaders.strong) };
  const optimizer = new SGD(model.parameters().filter((p) => p.requiresGrad), { lr: o.learningRate ?? 0.03, momentum: 0.9, nesterov: true, weightDecay: o.weightDecay ?? 5e-4 });
  const scheduler = new LRScheduler(optimizer, { name: 'cosine', totalSteps });
  const maskRates: number[] = [];
  const device = model.device;
  model.train();
  try {
    for (let step = 1; step <= totalSteps; step++) {
      const [l, w, s] = await Promise.all([streams.labelled.next(), streams.weak.next(), streams.strong.next()]);
      const state = tidy(() => fixMatchLoss(model, device, l.value as Batch, w.value as UnlabelledBatch, s.value as UnlabelledBatch, o, step, totalSteps, optimizer));
      if (!Number.isFinite(state.loss)) throw new Error(`fixMatch: the loss became ${state.loss} at step ${step}; lower learningRate`);
      scheduler.step();
      maskRates.push(state.maskRate);
      o.onStep?.(state);
    }
  } finally {
    await Promise.all(Object.values(streams).map((g) => g.return(undefined)));
    await Promise.all(Object.values(loaders).map((ld) => ld.close()));
    optimizer.zeroGrad();
  }
  const tail = maskRates.slice(-Math.max(1, Math.floor(totalSteps / 10)));
  return { steps: totalSteps, finalMaskRate: tail.reduce((a, v) => a + v, 0) / tail.length, seconds: (performance.now() - started) / 1000 };
}

function fixMatchLoss(
  model: ClassifierModule, device: Device, l: Batch, w: UnlabelledBatch, s: UnlabelledBatch, o: FixMatchOptions, step: number, totalSteps: number, optimizer: SGD,
): FixMatchStep {
  const { images: xl, labels } = batchToTensors(l, device);
  const nl = l.indices.length;
  const nu = w.indices.length;
  const logits = model.forward(cat([xl, imagesToTensor(w, device), imagesToTensor(s, device)], 0));
  const c = logits.shape[1] ?? 0;
  const supervised = logits.narrow(0, 0, nl).logSoftmax(1).mul(oneHot(labels, c)).sum(1).neg().mean();
  const weakLogits = noGrad(() => logits.narrow(0, nl, nu).detach().dataSync().slice());
  const { predicted, confidence } = argmaxWithConfidence(softmaxRows(weakLogits, nu, c), nu, c);
  const threshold = o.threshold ?? 0.95;
  const mask = Float32Array.from(confidence, (p) => (p >= threshold ? 1 : 0));
  const targets = new Float32Array(nu * c);
  predicted.forEach((k, i) => { targets[i * c + k] = 1; });
  const perItem = logits.narrow(0, nl + nu, nu).logSoftmax(1).mul(tensor(targets, { shape: [nu, c], device })).sum(1).neg();
  // Divided by all mu*B items, not the confident ones: the unlabelled loss grows as confidence spreads (the paper's choice).
  const unlabelled = perItem.mul(tensor(mask, { shape: [nu], device })).sum().div(nu);
  const loss = supervised.add(unlabelled.mul(o.unlabelledWeight ?? 1));
  loss.backward();
  noGrad(() => optimizer.step());
  optimizer.zeroGrad();
  const maskRate = mask.reduce((a, v) => a + v, 0) / nu;
  return { step, totalSteps, loss: loss.item(), supervisedLoss: supervised.item(), unlabelledLoss: unlabelled.item(), maskRate };
}

function oneHot(labels: Tensor, c: number): Tensor {
  const values = labels.dataSync();
  const out = new Float32Array(values.length * c);
  values.forEach((k, i) => { out[i * c + Number(k)] = 1; });
  return tensor(out, { shape: [values.length, c], device: labels.device });
}
