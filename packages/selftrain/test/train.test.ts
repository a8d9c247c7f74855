import { describe, expect, it } from 'vitest';
import { SmallCNN, functional as F, manualSeed, tensor, tidy } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, fashionMnist, withoutLabels } from '@graft/data';
import { memoryStats, resetPeakMemory } from '@graft/native';
import { predictLogits, targetSet, trainOnTargets, viewTransforms } from '../src/index.js';

const train = await fashionMnist({ split: 'train', bundled: true });
const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
const first = (n: number): Subset => new Subset(train, Int32Array.from({ length: n }, (_, i) => i));

function smallCnn(seed = 0): SmallCNN {
  manualSeed(seed);
  return new SmallCNN({ inChannels: 1, numClasses: 10, widths: [4, 8, 8] });
}

describe('predictLogits', () => {
  it('streams the pool: native memory peaks at the same level for 512 and 8,192 items', async () => {
    // 100 outputs, so that logits kept in native memory would show: (8192 - 512) x 100 x 4 B = 3 MB more.
    manualSeed(0);
    const model = new SmallCNN({ inChannels: 1, numClasses: 100, widths: [4, 8, 8] });
    const peakFor = async (n: number): Promise<number> => {
      const before = memoryStats().liveBytes;
      resetPeakMemory();
      const p = await predictLogits(model, withoutLabels(first(n)), { batchSize: 64, transform: views.eval });
      expect(p.logits.length).toBe(n * 100);
      expect(memoryStats().liveBytes).toBe(before); // nothing left behind
      return memoryStats().peakBytes - before;
    };
    const small = await peakFor(512);
    const large = await peakFor(8192);
    // Measured: 4,487,168 or 4,716,544 B for either n, run to run: the peak moves by up to one batch (64 x 784 x 4 B images plus
    // logits, ~230 kB) with the order in which a batch's buffers are freed, hence the 512 kB margin.
    console.log(`predictLogits peak: ${small} B (512 items), ${large} B (8,192 items)`);
    expect(Math.abs(large - small)).toBeLessThan(512 * 1024);
    expect(large).toBeLessThan(8 * 1024 * 1024);
    model.dispose();
  });

  it('matches a single forward pass and restores training mode', async () => {
    const model = smallCnn();
    model.train();
    const data = first(10);
    const p = await predictLogits(model, data, { batchSize: 3, transform: views.eval });
    expect(model.training).toBe(true);
    model.eval();
    const items = Array.from({ length: 10 }, (_, i) => views.eval.apply(data.get(i), undefined as never).image as Float32Array);
    const x = new Float32Array(10 * 784);
    items.forEach((im, i) => x.set(im, i * 784));
    const direct = tidy(() => model.forward(tensor(x, { shape: [10, 1, 28, 28] })).dataSync().slice());
    for (let i = 0; i < direct.length; i++) expect(p.logits[i]).toBeCloseTo(direct[i] as number, 4);
    model.dispose();
  });
});

describe('trainOnTargets', () => {
  it('with one-hot targets and unit weights, its loss is the plain cross-entropy', async () => {
    // Learning rate tiny and one step: the loss reported is the forward loss of the first batch.
    const model = smallCnn(3);
    const data = first(8);
    const set = targetSet([{ data }], 10);
    let reported = NaN;
    model.eval();
    const items = Array.from({ length: 8 }, (_, i) => views.eval.apply(data.get(i), undefined as never).image as Float32Array);
    const x = new Float32Array(8 * 784);
    items.forEach((im, i) => x.set(im, i * 784));
    const labels = Int32Array.from({ length: 8 }, (_, i) => data.label(i));
    model.train();
    const expected = tidy(() => F.crossEntropy(model.forward(tensor(x, { shape: [8, 1, 28, 28] })), tensor(labels, { shape: [8], dtype: 'int32' })).item());
    await trainOnTargets(model, set, { steps: 1, batchSize: 8, learningRate: 1e-9, transform: views.eval, onStep: (s) => { reported = s.loss; } });
    // Batch order differs (shuffled) but the batch holds all 8 items, and train-mode BN sees the same batch.
    expect(reported).toBeCloseTo(expected, 4);
    model.dispose();
  });

  it('tempered items are scaled by T^2 against the normaliser, so T does not cancel out', async () => {
    const model = smallCnn(4);
    const data = first(8);
    const uniform = new Float32Array(8 * 10).fill(0.1);
    const images = withoutLabels(data);
    const indices = Int32Array.from({ length: 8 }, (_, i) => i);
    const lossAt = async (temperature: number, tempered: boolean): Promise<number> => {
      let loss = NaN;
      const set = targetSet([{ images, indices, targets: uniform, tempered }], 10);
      await trainOnTargets(model, set, { steps: 1, batchSize: 8, learningRate: 1e-9, transform: views.eval, temperature, onStep: (s) => { loss = s.loss; } });
      return loss;
    };
    const plain = await lossAt(4, false);
    const tempered = await lossAt(4, true);
    // CE against the uniform target is log(10) + O(spread of the logits); at T = 4 the spread shrinks 4x
    // and the loss is multiplied by 16, so the tempered loss is about 16 log(10).
    expect(plain).toBeGreaterThan(Math.log(10) - 0.05);
    expect(tempered / 16).toBeGreaterThan(Math.log(10) - 0.01);
    expect(tempered / 16).toBeLessThan(plain + 1e-6);
    model.dispose();
  });

  it('learns, and a seed repeats the run bit for bit', async () => {
    const data = first(64);
    const run = async (): Promise<{ w: number[]; first: number; last: number }> => {
      const model = smallCnn(5);
      const losses: number[] = [];
      await trainOnTargets(model, targetSet([{ data, repeat: 2 }], 10), {
        epochs: 6, batchSize: 16, learningRate: 0.05, dropout: 0.2, transform: views.weak, seed: 7, onStep: (s) => losses.push(s.loss),
      });
      const w = model.parameters().flatMap((p) => Array.from(p.dataSync()));
      model.dispose();
      return { w, first: losses[0] as number, last: losses.at(-1) as number };
    };
    const a = await run();
    const b = await run();
    expect(a.w).toEqual(b.w);
    expect(a.last).toBeLessThan(a.first);
  });

  it('rejects bad options and mismatched targets', async () => {
    const model = smallCnn();
    const set = targetSet([{ data: first(4) }], 10);
    await expect(trainOnTargets(model, set, { epochs: 0 })).rejects.toThrow(/trainOnTargets: epochs must be an integer >= 1, got 0/);
    await expect(trainOnTargets(model, set, { dropout: 1 })).rejects.toThrow(/dropout must be in \[0, 1\)/);
    expect(() => targetSet([{ data: first(4) }], 2)).toThrow(/not a class in \[0, 2\)/);
    await expect(trainOnTargets(model, targetSet([{ data: first(4) }], 12), { steps: 1, transform: views.eval })).rejects.toThrow(/predicts 10 classes but the targets have 12/);
    model.dispose();
  });
});
