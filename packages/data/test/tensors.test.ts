import { describe, expect, it } from 'vitest';
import { memoryStats } from '@graft/native';
import { tidy } from '@graft/core';
import { batchToTensors, imagesToTensor, type Batch } from '../src/index.js';

describe('batches as core tensors', () => {
  it('turns uint8 images into [0, 1] float32 and labels into int32', () => {
    const batch: Batch = {
      images: Uint8Array.from([0, 51, 255, 102, 0, 255, 0, 0]),
      shape: [2, 1, 2, 2],
      labels: Int32Array.from([3, 7]),
      indices: Int32Array.from([10, 11]),
    };
    const { images, labels } = batchToTensors(batch);
    expect(images.dtype).toBe('float32');
    expect(images.shape).toEqual([2, 1, 2, 2]);
    // 51/255 = 0.2 exactly in decimal; float32 rounding of the product is within 1 ulp of 0.2.
    expect(Array.from(images.dataSync())).toEqual([0, expect.closeTo(0.2, 6), 1, expect.closeTo(0.4, 6), 0, 1, 0, 0]);
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.dataSync<'int32'>())).toEqual([3, 7]);
    images.dispose();
    labels.dispose();
  });

  it('copies float32 images as they are and frees everything inside tidy', () => {
    const before = memoryStats().liveBytes;
    tidy(() => {
      const x = imagesToTensor({ images: Float32Array.from([0.5, -1, 2]), shape: [1, 3], indices: Int32Array.from([0]) });
      expect(Array.from(x.dataSync())).toEqual([0.5, -1, 2]);
    });
    expect(memoryStats().liveBytes).toBe(before);
  });

  it('names the mismatch between labels, images and shape', () => {
    const images = new Float32Array(4);
    expect(() => batchToTensors({ images, shape: [2, 2], labels: Int32Array.from([1]), indices: Int32Array.from([0, 1]) }))
      .toThrow(/batchToTensors: batch has 1 labels for 2 images/);
    expect(() => imagesToTensor({ images, shape: [3, 2], indices: Int32Array.from([0]) }))
      .toThrow(/imagesToTensor: batch has 4 image values but shape \[3, 2\] needs 6/);
  });
});
