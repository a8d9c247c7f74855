/**
 * What the transfer strategies train on, and what they report: labelled data given as a Dataset or
 * as image and label tensors, the per-epoch history a report charts, and the preprocessing defaults.
 */
import type { Tensor } from '@graft/core';
import { TensorDataset, compose, horizontalFlip, randomCrop, toFloat, type Dataset, type Transform } from '@graft/data';

/**
 * Labelled images as tensors: `images` (N, C, H, W) float32 already preprocessed (or uint8 pixels),
 * `labels` (N) int32 class indices.
 * @example
 * const data: LabelledTensors = { images: x, labels: y };
 */
export interface LabelledTensors {
  images: Tensor;
  labels: Tensor;
}

/**
 * Training or evaluation data of a strategy: a Dataset (items pass through the strategy's transform)
 * or tensors.
 * @example
 * const data: TransferData = split.labelled; // or { images, labels }
 */
export type TransferData = Dataset | LabelledTensors;

/**
 * One epoch of a strategy's run, for a report's charts. `loss` and `accuracy` are the means over the
 * epoch's training batches (training mode, augmented, as Keras reports them); `eval*` come from the
 * evaluation data after the epoch, when it was given.
 * @example
 * for (const e of result.history) console.log(e.phase, e.epoch, e.loss, e.accuracy, e.evalAccuracy);
 */
export interface EpochRecord {
  /** Which stage of the strategy ran this epoch ('probe', 'head', 'fine-tune', 'scratch'). */
  phase: string;
  /** 1-based epoch count across all phases. */
  epoch: number;
  loss: number;
  accuracy: number;
  /** Learning rate of the head's group at the epoch's last step. */
  lr: number;
  evalLoss?: number;
  evalAccuracy?: number;
  evalMacroF1?: number;
}

/**
 * Turns tensors into a Dataset (copying them out of tensor memory); a Dataset passes through.
 * `fn` and `arg` name the caller in errors.
 * @example
 * const ds = toDataset({ images: x, labels: y }, 'fineTune', 'data');
 */
export function toDataset(data: TransferData, fn: string, arg: string): Dataset {
  if (!isLabelledTensors(data)) {
    if (data === null || typeof data !== 'object' || typeof (data as Dataset).get !== 'function' || typeof (data as Dataset).length !== 'number') {
      throw new Error(`${fn}: ${arg} must be a Dataset or { images, labels } tensors`);
    }
    if (data.length === 0) throw new Error(`${fn}: ${arg} is empty`);
    return data;
  }
  const { images, labels } = data;
  if (images.ndim < 2) throw new Error(`${fn}: ${arg}.images must be (N, ...item) with N >= 1, got shape [${images.shape.join(', ')}]`);
  if (labels.ndim !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new Error(`${fn}: ${arg}.labels must be (N) with N = ${images.shape[0]} (one per image), got shape [${labels.shape.join(', ')}]`);
  }
  if (images.shape[0] === 0) throw new Error(`${fn}: ${arg} is empty`);
  if (images.dtype !== 'float32' && images.dtype !== 'uint8') throw new Error(`${fn}: ${arg}.images must be float32 or uint8, got ${images.dtype}`);
  const pixels = images.dtype === 'uint8' ? Uint8Array.from(images.contiguous().dataSync<'uint8'>()) : Float32Array.from(images.contiguous().dataSync<'float32'>());
  const ints = labels.dtype === 'int32' ? labels.contiguous().dataSync<'int32'>() : labels.contiguous().dataSync<'float32'>();
  const classes = Int32Array.from(ints as ArrayLike<number>);
  if (classes.some((c, i) => c < 0 || c !== Number(ints[i]))) throw new Error(`${fn}: ${arg}.labels must be non-negative integer class indices`);
  return new TensorDataset(pixels, images.shape, classes, { name: `${fn} ${arg}` });
}

function isLabelledTensors(data: TransferData): data is LabelledTensors {
  return data !== null && typeof data === 'object' && 'images' in data && 'labels' in data && typeof (data as LabelledTensors).images.dataSync === 'function';
}

/**
 * The per-item preprocessing every strategy uses when none is given: uint8 pixels to [0, 1] floats
 * (float items pass through unchanged).
 * @example
 * const plain = defaultTransform();
 */
export function defaultTransform(): Transform {
  return toFloat();
}

/**
 * The default training augmentation for images (C, H, W): a random shift of up to 2 pixels and a
 * horizontal flip, the augmentation the shipped backbones were pre-trained with; none for
 * feature vectors. It runs before `transform`.
 * @example
 * const augment = defaultAugment([1, 28, 28]);
 */
export function defaultAugment(itemShape: readonly number[]): Transform | null {
  if (itemShape.length !== 3) return null;
  const [, h, w] = itemShape as [number, number, number];
  return compose(randomCrop(h, { width: w, padding: 2 }), horizontalFlip());
}

/**
 * The training transform: the augmentation (if any) followed by the preprocessing.
 * @example
 * const train = trainingTransform(defaultAugment([1, 28, 28]), toFloat());
 */
export function trainingTransform(augment: Transform | null, transform: Transform): Transform {
  return augment === null ? transform : compose(augment, transform);
}
