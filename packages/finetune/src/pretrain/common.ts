/**
 * Pieces shared by the pre-training objectives: options, the seeded SGD loop, accuracy on a labelled
 * set, and the backbone's state dict (the model's without its head).
 */
import { SGD, noGrad, tidy, type Classifier, type Device, type StateDict, type Tensor } from '@graft/core';
import { createLoader, imagesToTensor, stack, type Dataset, type ImageArray, type Transform, type UnlabelledBatch, type UnlabelledDataset, type UnlabelledSample } from '@graft/data';
import { LRScheduler } from '../schedules.js';

/** Options every pre-training objective takes. */
export interface PretrainLoopOptions {
  /** Passes over the training images (default 1). */
  epochs?: number;
  /** Images per step (default 128; SimCLR sees twice as many views). */
  batchSize?: number;
  /** Peak learning rate of SGD with momentum 0.9 and a cosine decay (default 0.05). */
  lr?: number;
  /** Weight decay (default 5e-4). */
  weightDecay?: number;
  /** Seed of the shuffles and augmentations (default 0). Seed model init with `manualSeed` first. */
  seed?: number;
  /** Stop after this many steps (default: every step of every epoch). */
  maxSteps?: number;
  /** Called after every step with the step's loss. */
  onStep?: (info: StepInfo) => void;
}

/** What {@link PretrainLoopOptions.onStep} receives. */
export interface StepInfo {
  epoch: number;
  /** Steps done so far, 1-based. */
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  /** Seconds since training started. */
  seconds: number;
}

/** What one pre-training run did. */
export interface PretrainRun {
  /** Mean loss of each epoch. */
  epochLosses: number[];
  steps: number;
  seconds: number;
}

/** Fills an options object's defaults. */
export function loopDefaults(o: PretrainLoopOptions): Required<Omit<PretrainLoopOptions, 'onStep' | 'maxSteps'>> & PretrainLoopOptions {
  const filled = { epochs: 1, batchSize: 128, lr: 0.05, weightDecay: 5e-4, seed: 0, ...o };
  for (const key of ['epochs', 'batchSize'] as const) {
    if (!Number.isInteger(filled[key]) || filled[key] < 1) throw new Error(`pretrain: ${key} must be a positive integer, got ${filled[key]}`);
  }
  if (!(filled.lr > 0)) throw new Error(`pretrain: lr must be positive, got ${filled.lr}`);
  if (!(filled.weightDecay >= 0)) throw new Error(`pretrain: weightDecay must be non-negative, got ${filled.weightDecay}`);
  if (filled.maxSteps !== undefined && (!Number.isInteger(filled.maxSteps) || filled.maxSteps < 1)) {
    throw new Error(`pretrain: maxSteps must be a positive integer, got ${filled.maxSteps}`);
  }
  return filled;
}

/**
 * Splits a stacked batch back into its items (views of the batch's buffer).
 * @example
 * const items = unstack(batch); // items[0].shape: [1, 28, 28]
 */
export function unstack(batch: UnlabelledBatch): UnlabelledSample[] {
  const shape = batch.shape.slice(1);
  const size = shape.reduce((a, b) => a * b, 1);
  const items: UnlabelledSample[] = [];
  for (let j = 0; j < batch.indices.length; j++) {
    const image: ImageArray = batch.images.subarray(j * size, (j + 1) * size);
    items.push({ image, shape });
  }
  return items;
}

/**
 * Stacks items (already transformed to float32) into an input tensor on `device` (default the CPU).
 * @example
 * const x = itemsToTensor(items, batch.indices, model.device); // (N, C, H, W)
 */
export function itemsToTensor(items: UnlabelledSample[], indices: Int32Array, device: Device = 'cpu'): Tensor {
  const { images, shape } = stack(items, indices);
  return imagesToTensor({ images, shape, indices }, device);
}

/**
 * The seeded SGD loop: shuffled batches of `data` (full batches only, each item through `transform`
 * when given), `lossOf(batch, epoch)` inside
 * a tidy scope, SGD with momentum 0.9 and a cosine learning-rate decay over every step.
 * @example
 * await runLoop(model.parameters(), train, opts, (batch) => F.crossEntropy(model.forward(x), y));
 */
export async function runLoop<B extends UnlabelledBatch>(
  params: Tensor[], data: Dataset | UnlabelledDataset, options: PretrainLoopOptions,
  lossOf: (batch: B, epoch: number) => Tensor, transform?: Transform,
): Promise<PretrainRun> {
  const o = loopDefaults(options);
  const perEpoch = Math.floor(data.length / o.batchSize);
  if (perEpoch < 1) throw new Error(`pretrain: ${data.length} training images are fewer than one batch of ${o.batchSize}`);
  const totalSteps = Math.min(perEpoch * o.epochs, o.maxSteps ?? Infinity);
  const optimizer = new SGD(params, { lr: o.lr, momentum: 0.9, weightDecay: o.weightDecay });
  const scheduler = new LRScheduler(optimizer, { name: 'cosine', totalSteps, warmupSteps: Math.min(100, Math.floor(totalSteps / 10)) });
  const loader = createLoader(data as Dataset, { batchSize: o.batchSize, shuffle: true, seed: o.seed, dropLast: true, transform });
  const start = performance.now();
  const run: PretrainRun = { epochLosses: [], steps: 0, seconds: 0 };
  try {
    for (let epoch = 0; epoch < o.epochs && run.steps < totalSteps; epoch++) {
      let sum = 0, count = 0;
      for await (const batch of loader.epoch(epoch)) {
        const lr = optimizer.paramGroups[0]?.lr ?? o.lr;
        const loss = tidy(() => {
          const l = lossOf(batch as unknown as B, epoch);
          optimizer.zeroGrad();
          l.backward();
          optimizer.step();
          return l.item();
        });
        if (!Number.isFinite(loss)) throw new Error(`pretrain: loss is ${loss} at step ${run.steps + 1}; lower lr`);
        scheduler.step();
        sum += loss, count++, run.steps++;
        o.onStep?.({ epoch, step: run.steps, totalSteps, loss, lr, seconds: (performance.now() - start) / 1000 });
        if (run.steps >= totalSteps) break;
      }
      run.epochLosses.push(sum / Math.max(count, 1));
    }
  } finally {
    await loader.close();
  }
  run.seconds = (performance.now() - start) / 1000;
  return run;
}

/**
 * Top-1 accuracy of `model` on a labelled set (eval mode, no gradients), after `transform`.
 * @example
 * const acc = await sourceAccuracy(model, test, compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD)));
 */
export async function sourceAccuracy(model: Classifier, data: Dataset, transform: Transform, batchSize = 500): Promise<number> {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  const device = model.device;
  try {
    for await (const batch of createLoader(data, { batchSize, transform })) {
      correct += tidy(() => noGrad(() => {
        const predicted = model.forward(imagesToTensor(batch, device)).argmax(1).dataSync<'int32'>();
        return batch.labels.reduce((n, label, i) => n + (predicted[i] === label ? 1 : 0), 0);
      }));
    }
  } finally {
    model.train(wasTraining);
  }
  return data.length === 0 ? 0 : correct / data.length;
}

/**
 * The model's state dict without its head (`fc.*` for ResNet): what pre-training keeps.
 * @example
 * await saveTensors('backbone.safetensors', backboneStateDict(model));
 */
export function backboneStateDict(model: Classifier): StateDict {
  const prefix = `${model.headName}.`;
  const out: StateDict = new Map();
  for (const [name, t] of model.stateDict()) if (!name.startsWith(prefix)) out.set(name, t);
  return out;
}
