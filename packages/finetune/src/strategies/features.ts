/**
 * Feature extraction: the frozen backbone's outputs (the input of the head) for every item, computed
 * once in evaluation mode without gradients, so that a head can train on them for many epochs at
 * the cost of one forward pass.
 */
import { noGrad, tensor, tidy, type Classifier, type Tensor } from '@graft/core';
import { createLoader, imagesToTensor, type Transform } from '@graft/data';
import { defaultTransform, toDataset, type TransferData } from './data.js';
import { asClassifier } from './layers.js';

/** Options of {@link extractFeatures}. */
export interface ExtractFeaturesOptions {
  /** Per-item preprocessing (default: uint8 -> [0, 1] floats). */
  transform?: Transform;
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /** Seed of a random transform's draws (default 0). */
  seed?: number;
}

/** Cached features and their labels. */
export interface FeatureSet {
  /** (N, D) float32 on the model's device; the caller disposes it. */
  features: Tensor;
  labels: Int32Array;
}

/**
 * Runs the backbone (`model.features`) over `data` in evaluation mode, without gradients, and
 * returns the (N, D) features, on the model's device, with the labels. The model's train/eval mode is restored afterwards.
 * @example
 * const { features, labels } = await extractFeatures(model, split.labelled, { transform: plain });
 * features.shape; // [50, 64]
 * features.dispose();
 */
export async function extractFeatures(model: Classifier, data: TransferData, options: ExtractFeaturesOptions = {}): Promise<FeatureSet> {
  asClassifier(model, 'extractFeatures');
  const dataset = toDataset(data, 'extractFeatures', 'data');
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`extractFeatures: options.batchSize must be an integer >= 1, got ${batchSize}`);
  const wasTraining = model.training;
  model.eval();
  const loader = createLoader(dataset, { batchSize, transform: options.transform ?? defaultTransform(), seed: options.seed ?? 0 });
  const chunks: Float32Array[] = [];
  const labels = new Int32Array(dataset.length);
  let width = 0, offset = 0;
  const device = model.device;
  try {
    for await (const batch of loader.epoch(0)) {
      const values = tidy(() => noGrad(() => {
        const f = model.features(imagesToTensor(batch, device));
        width = f.shape[1] ?? 0;
        return Float32Array.from(f.contiguous().dataSync<'float32'>());
      }));
      chunks.push(values);
      labels.set(batch.labels, offset);
      offset += batch.labels.length;
    }
  } finally {
    await loader.close();
    if (wasTraining) model.train();
  }
  const all = new Float32Array(dataset.length * width);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return { features: tensor(all, { shape: [dataset.length, width], device }), labels };
}
