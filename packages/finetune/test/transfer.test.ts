/**
 * Acceptance: the FMNIST-transfer protocol on the bundled Fashion-MNIST subset, from the
 * shipped supervised backbone (classes 0-4), target classes 5-9 with 10 labels per class (seed 0),
 * scored on the first 750 target test images of the bundled test split. Scratch gets the same labels,
 * epochs (30), batch size, augmentation and schedule as the default fine-tune (its own rate, 0.05):
 * a strong baseline (84% here, where a plain PyTorch scratch run of the protocol had 71%).
 * The full protocol over several seeds is in benchmarks/results/2026-11-22-finetune-fmnist.md; there,
 * over 3 seeds and 1,500 test images (section of 2026-12-03): scratch 81.8%, probe 84.2%, default 86.5%.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained, manualSeed, resnet20, type ResNet } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, compose, fashionMnist, filterClasses, normalise, sampleKPerClass, toFloat, type Dataset } from '@graft/data';
import { fineTune, linearProbe, trainFromScratch } from '../src/index.js';

const BACKBONE = fileURLToPath(new URL('../../../weights/resnet20-fmnist04-supervised.safetensors', import.meta.url));
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
let labelled: Dataset;
let test: Dataset;

beforeAll(async () => {
  const classes = [5, 6, 7, 8, 9];
  const train = filterClasses(await fashionMnist({ split: 'train', bundled: true }), classes, { remap: true });
  const fullTest = filterClasses(await fashionMnist({ split: 'test', bundled: true }), classes, { remap: true });
  labelled = sampleKPerClass(train, 10, 0).labelled;
  test = new Subset(fullTest, Int32Array.from({ length: 750 }, (_, i) => i));
});

async function pretrained(): Promise<ResNet> {
  manualSeed(0);
  const model = resnet20({ inChannels: 1, numClasses: 5 });
  await loadPretrained(model, BACKBONE, { skip: 'fc' });
  return model;
}

describe('transfer at 10 labels per class (bundled Fashion-MNIST, classes 5-9)', () => {
  const scores: Record<string, number> = {};

  it('trains from scratch (the baseline)', async () => {
    manualSeed(0);
    const r = await trainFromScratch(resnet20({ inChannels: 1, numClasses: 5 }), labelled, { transform: plain, evalData: test, evaluate: 'end' });
    scores['scratch'] = r.metrics?.['accuracy'] ?? NaN;
    expect(r.history).toHaveLength(30);
    r.model.dispose();
  });

  it('a linear probe on the frozen backbone beats scratch in a fraction of the time', async () => {
    const r = await linearProbe(await pretrained(), labelled, { numClasses: 5, transform: plain, evalData: test });
    scores['probe'] = r.metrics?.['accuracy'] ?? NaN;
    // Measured (seed 0, 750 images): probe 84.93%, scratch 80.67% with the GEMM of commit 09ebd81
    // (scratch 82.93% with the one before it; 84.27% before the kernels of 2026-12-03: +0.67 points,
    // 5 images, then). Over 3 seeds and 1,500 images the probe leads by 2.4 points (84.18% vs 81.78%,
    // every seed ahead). The bound asks for 2 images of the 5 of the narrowest margin seen. Before the
    // probe's views used RandAugment (8 shift-and-flip views), it scored 82.80% here.
    expect(scores['probe']).toBeGreaterThan((scores['scratch'] as number) + 0.0025);
    expect(scores['probe']).toBeGreaterThan(0.83);
    r.model.dispose();
  });

  it('the default fine-tune (LP-FT) beats scratch', async () => {
    const r = await fineTune(await pretrained(), labelled, { numClasses: 5, transform: plain, evalData: test, evaluate: 'end' });
    scores['default'] = r.metrics?.['accuracy'] ?? NaN;
    // Measured (seed 0, 750 images): default 87.07% vs scratch 80.67% with the GEMM of commit 09ebd81
    // (+6.4 points; 87.33% vs 82.93% with the one before it; 87.07% vs 84.27% before the kernels of
    // 2026-12-03; +4.7 over 3 seeds and 1,500 images: 86.49% vs 81.78%). LP-FT's probe uses the
    // fine-tune phase's shift-and-flip views (8): with the stand-alone probe's RandAugment views LP-FT
    // scored 86.27% here and 85.82% over 3 seeds.
    expect(scores['default']).toBeGreaterThan((scores['scratch'] as number) + 0.025);
    expect(scores['default']).toBeGreaterThan(0.85);
    expect(r.history.map((e) => e.phase)).toEqual([...Array(100).fill('probe'), ...Array(30).fill('fine-tune')]);
    console.log(`transfer at 10 labels/class, 750 test images: ${Object.entries(scores).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ')}`);
    r.model.dispose();
  });
});
