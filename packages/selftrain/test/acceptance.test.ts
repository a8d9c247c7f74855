/**
 * Acceptance: the FMNIST-transfer protocol on the bundled subset. The shipped supervised backbone
 * (classes 0-4), target classes 5-9, 10 labels per class (seed 0); to stay within ~60 s on 2 cores
 * the unlabelled pool is a seeded 2,000-image subset of the 4,950 other target training images, and
 * the test set all 1,500 bundled target test images (in a seeded order).
 *
 * Measured (2026-12-03, 2 shared cores, ~55 s), the teacher fine-tuned with fineTune's LP-FT:
 *   fine-tuned on all 50 labels (no self-training)            87.27% test accuracy
 *   round 0: teacher on the 40 training labels (10 held out)  85.93%, 8/10 held out right
 *   round 1: student, 1,435 pseudo-labels (95.5% right)       86.87%, 10/10: accepted
 *   round 2: student, 1,450 pseudo-labels (96.6% right)       90.67%, 9/10: accepted (within one image)
 * i.e. +4.7 points over its own teacher and +3.4 over fine-tuning on all labels (with the plain
 * 40-epoch teacher recipe of 2026-11-22: 77.40% -> 82.67%, baseline 79.53%). The bounds below are
 * looser (+1.5 and +0.8 points) so that a change of summation order somewhere does not fail the test:
 * the kernels of 2026-12-03 moved this run from 86.27% -> 89.13% (a student of 90.67% that missed one
 * held-out image more was stopped by the old rule) to the figures above.
 */
import { describe, expect, it } from 'vitest';
import { loadPretrained, manualSeed, resnet20, type ResNet } from '@graft/core';
import {
  FASHION_MNIST_MEAN, FASHION_MNIST_STD, Rng, Subset, UnlabelledPool, fashionMnist, filterClasses, permutation, sampleKPerClass,
} from '@graft/data';
import { fineTune } from '@graft/finetune';
import { SelfTrainer, evaluateModel, viewTransforms, type RoundReport } from '../src/index.js';

const WEIGHTS = 'weights/resnet20-fmnist04-supervised.safetensors';
const train = filterClasses(await fashionMnist({ split: 'train', bundled: true }), [5, 6, 7, 8, 9], { remap: true });
const fullTest = filterClasses(await fashionMnist({ split: 'test', bundled: true }), [5, 6, 7, 8, 9], { remap: true });
const test = new Subset(fullTest, permutation(fullTest.length, new Rng(0, 0x7e57)).slice(0, 1500));
const { labelled, pool: fullPool } = sampleKPerClass(train, 10, 0);
const positions = permutation(fullPool.length, new Rng(0, 0x9001)).slice(0, 2000).sort();
const pool = new UnlabelledPool(train, Array.from(positions, (i) => fullPool.sourceIndices[i] as number));
const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });

async function pretrained(): Promise<ResNet> {
  const m = resnet20({ inChannels: 1, numClasses: 5 });
  await loadPretrained(m, WEIGHTS, { skip: 'fc' });
  return m;
}

describe('self-training on FMNIST-transfer (bundled subset, 10 labels per class)', () => {
  // About 55 s of two quiet cores; the limit leaves room for a machine shared with other jobs.
  it('improves test accuracy over the fine-tuned teacher, and reports every round', { timeout: 300_000 }, async () => {
    manualSeed(0);
    // Fine-tuning alone, on all 50 labels, with the teacher's recipe (fineTune's LP-FT).
    const baselineModel = await pretrained();
    await fineTune(baselineModel, labelled, { transform: views.eval, seed: 0 });
    const baseline = await evaluateModel(baselineModel, test, { transform: views.eval });
    baselineModel.dispose();

    const rows: RoundReport[] = [];
    const st = new SelfTrainer({
      model: await pretrained(), createStudent: pretrained, labelled, pool, test, transforms: views, rounds: 2, seed: 0,
      callbacks: { onRound: (r) => rows.push(r) },
    });
    const result = await st.run();
    const teacher = result.rounds[0] as RoundReport;
    const best = result.rounds.find((r) => r.round === result.bestRound) as RoundReport;
    console.log(`baseline ${baseline.accuracy}; rounds ${JSON.stringify(result.rounds.map((r) => [r.round, r.test?.accuracy, r.pseudoLabels?.keptPerClass, r.pseudoLabels?.accuracy, r.validation.accuracy, r.validation.loss, r.accepted]))}`);

    expect(rows).toEqual(result.rounds);
    expect(result.bestRound).toBeGreaterThanOrEqual(1);
    const final = (await evaluateModel(result.model, test, { transform: views.eval })).accuracy;
    expect(final).toBe(best.test?.accuracy);
    expect(final).toBeGreaterThan((teacher.test?.accuracy as number) + 0.015);
    expect(final).toBeGreaterThan(baseline.accuracy + 0.008);
    for (const r of result.rounds.slice(1)) {
      const p = r.pseudoLabels;
      expect(p?.keptPerClass).toHaveLength(5);
      expect(p?.keptPerClass.every((k) => k > 0)).toBe(true);
      // Balanced by design: every class keeps the same number.
      expect(new Set(p?.keptPerClass).size).toBe(1);
      expect(p?.accuracy).toBeGreaterThan(0.9);
      expect(r.test?.macroF1).toBeGreaterThan(0);
      expect(r.seconds).toBeGreaterThan(0);
    }
    result.model.dispose();
  });
});
