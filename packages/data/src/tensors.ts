/**
 * Batches as @graft/core tensors. The loader works on typed arrays (cheap to move between worker
 * threads); these copy a batch into native tensor memory once, where the model reads it.
 */
import { backendFor, empty, tensor, tidy, type Device, type Tensor } from '@graft/core';
import type { Batch, UnlabelledBatch } from './types.js';

/** A batch's images and labels as tensors. */
export interface BatchTensors {
  /** float32 `[n, c, h, w]`. */
  images: Tensor;
  /** int32 `[n]` class indices. */
  labels: Tensor;
}

/**
 * The images of a batch as a float32 tensor `[n, ...itemShape]` on `device` (default the CPU). uint8
 * images become `[0, 1]` floats (as torchvision's ToTensor); float32 images are copied as they are.
 * uint8 images travel to a GPU as bytes and are converted there, a quarter of the float traffic.
 * @example
 * const x = imagesToTensor(batch); // float32 [128, 1, 28, 28]
 * const g = imagesToTensor(batch, model.device); // where the model is
 */
export function imagesToTensor(batch: UnlabelledBatch, device: Device = 'cpu'): Tensor {
  const { images, shape } = batch;
  const expected = shape.reduce((a, b) => a * b, 1);
  if (images.length !== expected) {
    throw new Error(`imagesToTensor: batch has ${images.length} image values but shape [${shape.join(', ')}] needs ${expected}`);
  }
  if (images instanceof Float32Array) return tensor(images, { shape, device });
  return tidy(() => {
    const bytes = tensor(images, { shape, dtype: 'uint8', device });
    const floats = empty(shape, { device });
    backendFor(floats.device).cast(bytes, floats, 1 / 255);
    return floats;
  });
}

/**
 * A labelled batch as tensors on `device` (default the CPU): float32 images and int32 labels.
 * Dispose both (or create them inside `tidy`) when the step is done.
 * @example
 * for await (const batch of loader) {
 *   tidy(() => { const { images, labels } = batchToTensors(batch); ... });
 * }
 */
export function batchToTensors(batch: Batch, device: Device = 'cpu'): BatchTensors {
  const n = batch.shape[0] ?? 0;
  if (batch.labels.length !== n) {
    throw new Error(`batchToTensors: batch has ${batch.labels.length} labels for ${n} images`);
  }
  const images = imagesToTensor(batch, device);
  const labels = tensor(batch.labels, { shape: [n], dtype: 'int32', device });
  return { images, labels };
}
