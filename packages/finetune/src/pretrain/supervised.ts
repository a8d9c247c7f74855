/**
 * Supervised pre-training: the classifier learns the source classes with cross-entropy; its
 * backbone is what is kept.
 */
import { functional as F, type Classifier } from '@graft/core';
import { batchToTensors, type Batch, type Dataset, type Transform } from '@graft/data';
import { runLoop, type PretrainLoopOptions, type PretrainRun } from './common.js';

/** Options of {@link pretrainSupervised}. */
export interface SupervisedOptions extends PretrainLoopOptions {
  /** Per-item augmentation ending in float32, e.g. compose(randomCrop(28, { padding: 2 }), toFloat(), normalise(...)). */
  transform: Transform;
  /** Label smoothing of the cross-entropy (default 0). */
  labelSmoothing?: number;
}

/**
 * Trains `model` (its head sized to the source classes, labels 0..K-1) on `train` with cross-entropy.
 * @example
 * const source = filterClasses(await fashionMnist({ split: 'train' }), [0, 1, 2, 3, 4], { remap: true });
 * const model = resnet20({ inChannels: 1, numClasses: 5 });
 * const run = await pretrainSupervised(model, source, { epochs: 3, transform: augment });
 */
export async function pretrainSupervised(model: Classifier, train: Dataset, options: SupervisedOptions): Promise<PretrainRun> {
  const numClasses = model.numClasses;
  for (let i = 0; i < train.length; i++) {
    const label = train.label(i);
    if (!(label >= 0 && label < numClasses)) {
      throw new Error(`pretrainSupervised: label ${label} of item ${i} is outside the model's ${numClasses} classes (remap the source classes to 0..${numClasses - 1})`);
    }
  }
  const labelSmoothing = options.labelSmoothing ?? 0;
  const device = model.device;
  model.train();
  return runLoop<Batch>(model.parameters(), train, options, (batch) => {
    const { images, labels } = batchToTensors(batch, device);
    return F.crossEntropy(model.forward(images), labels, { labelSmoothing });
  }, options.transform);
}
