/**
 * Streaming prediction: a model's logits over a dataset, batch by batch, in eval mode without
 * gradients. Each batch's tensors are freed before the next is read, so native memory stays at one
 * batch whatever the dataset size; only the (n, classes) logits are kept, in a JS Float32Array.
 */
import { noGrad, tidy, type Tensor } from '@graft/core';
import { createLoader, imagesToTensor, type Dataset, type Transform, type UnlabelledDataset } from '@graft/data';
import type { ClassifierModule } from '@graft/finetune';

/** Logits of a model over a dataset, row-major (n, classes). */
export interface PoolPredictions {
  logits: Float32Array;
  n: number;
  classes: number;
}

/** Options of {@link predictLogits}. */
export interface PredictOptions {
  /** Items per forward pass (default 256). */
  batchSize?: number;
  /** Per-item transform ending in float32, e.g. compose(toFloat(), normalise(mean, std)); no augmentation. */
  transform?: Transform;
  /** Called after each batch with the items done so far. */
  onBatch?: (done: number, total: number) => void;
}

/**
 * The model's logits for every item, in dataset order, computed in eval mode without gradients and
 * without augmentation (the model's train/eval mode is restored afterwards).
 * @example
 * const { logits, n, classes } = await predictLogits(teacher, pool, { transform: evalTransform });
 */
export async function predictLogits(model: ClassifierModule, data: Dataset | UnlabelledDataset, options: PredictOptions = {}): Promise<PoolPredictions> {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`predictLogits: batchSize must be a positive integer, got ${batchSize}`);
  if (data.length === 0) throw new Error('predictLogits: data is empty (expected at least one item)');
  const wasTraining = model.training;
  model.eval();
  const loader = createLoader(data as UnlabelledDataset, { batchSize, transform: options.transform });
  let logits: Float32Array | undefined;
  let classes = 0;
  let done = 0;
  const device = model.device;
  try {
    for await (const batch of loader.epoch(0)) {
      const rows = tidy(() => noGrad(() => {
        const y: Tensor = model.forward(imagesToTensor(batch, device));
        return { width: y.shape[1] ?? 0, values: y.dataSync().slice() };
      }));
      if (logits === undefined) {
        classes = rows.width;
        logits = new Float32Array(data.length * classes);
      }
      logits.set(rows.values, done * classes);
      done += batch.indices.length;
      options.onBatch?.(done, data.length);
    }
  } finally {
    await loader.close();
    if (wasTraining) model.train();
  }
  return { logits: logits as Float32Array, n: data.length, classes };
}

/**
 * Row-wise softmax of (n, c) logits at a temperature: softmax(z / t). t < 1 sharpens, t > 1 softens.
 * @example
 * const probs = softmaxRows(Float32Array.from([2, 0]), 1, 2); // [0.881, 0.119]
 */
export function softmaxRows(logits: Float32Array, n: number, c: number, temperature = 1): Float32Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`softmaxRows: temperature must be a number > 0, got ${temperature}`);
  if (logits.length !== n * c) throw new Error(`softmaxRows: logits has ${logits.length} values, expected n * c = ${n * c}`);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, (logits[i * c + j] as number) / temperature);
    let sum = 0;
    for (let j = 0; j < c; j++) {
      const e = Math.exp((logits[i * c + j] as number) / temperature - max);
      out[i * c + j] = e;
      sum += e;
    }
    for (let j = 0; j < c; j++) out[i * c + j] = (out[i * c + j] as number) / sum;
  }
  return out;
}
