/**
 * The linear probe's default views: probeAugment's choice per item type, and its use when no
 * augmentation is given. Accuracy on FMNIST-transfer is checked in transfer.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cifarResNet, manualSeed, type ResNet } from '@graft/core';
import { TensorDataset } from '@graft/data';
import { defaultAugment, linearProbe, probeAugment } from '../src/index.js';

/** n uint8 images 1x8x8, 2 classes: a bright bar on the left or on the right, plus seeded noise. */
function bars(n: number, seed: number): TensorDataset {
  let s = seed >>> 0;
  const rand = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const images = new Uint8Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 64; p++) images[i * 64 + p] = Math.floor(60 * rand());
    for (let r = 1; r < 7; r++) images[i * 64 + r * 8 + (i % 2 === 0 ? 1 : 6)] = 250;
  }
  return new TensorDataset(images, [n, 1, 8, 8], labels);
}

function tiny(): ResNet {
  manualSeed(0);
  return cifarResNet(8, { inChannels: 1, numClasses: 2 });
}

async function probedHead(augment?: ReturnType<typeof probeAugment>): Promise<number[]> {
  const options = augment === undefined ? {} : { augment };
  const { model } = await linearProbe(tiny(), bars(8, 1), { epochs: 2, views: 3, ...options });
  const head = Array.from(model.head.weight.dataSync<'float32'>());
  model.dispose();
  return head;
}

describe('probeAugment', () => {
  it('adds RandAugment(2, 9) to shift and flip for uint8 images of 1 or 3 channels', () => {
    const grey = { image: new Uint8Array(784), shape: [1, 28, 28] };
    expect(probeAugment(grey)?.spec).toEqual({ kind: 'compose', transforms: [defaultAugment([1, 28, 28])?.spec, { kind: 'randAugment', n: 2, m: 9, fill: 0 }] });
    expect(probeAugment({ image: new Uint8Array(3 * 64), shape: [3, 8, 8] })?.spec.kind).toBe('compose');
  });

  it('keeps shift and flip alone where RandAugment does not apply, and none for vectors', () => {
    expect(probeAugment({ image: new Float32Array(784), shape: [1, 28, 28] })?.spec).toEqual(defaultAugment([1, 28, 28])?.spec);
    expect(probeAugment({ image: new Uint8Array(2 * 64), shape: [2, 8, 8] })?.spec).toEqual(defaultAugment([2, 8, 8])?.spec);
    expect(probeAugment({ image: new Float32Array(5), shape: [5] })).toBeNull();
  });

  it('rejects what is not a dataset item', () => {
    expect(() => probeAugment(null as never)).toThrow(/probeAugment: item must be a dataset item \{ image, shape \}/);
    expect(() => probeAugment({ shape: [1, 8, 8] } as never)).toThrow(/probeAugment: item must be a dataset item/);
  });

  it('is what linearProbe augments its views with when none is given', async () => {
    const byDefault = await probedHead();
    expect(await probedHead(probeAugment(bars(1, 1).get(0)))).toEqual(byDefault);
    expect(await probedHead(defaultAugment([1, 8, 8]))).not.toEqual(byDefault);
  });
});
