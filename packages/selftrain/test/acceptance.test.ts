/**
 * Acceptance: the FMNIST-transfer protocol on the bundled subset. The shipped supervised backbone
 * (classes 0-4), target classes 5-9, 10 labels per class (seed 0); to stay within ~60 s on 2 cores
 * the unlabelled pool is a seeded 2,000-image subset of the 4,950 other target training images, and
 * the test set all 1,500 bundled target test images (in a seeded order).
 *
 * Measured (2026-12-03, 2 shared cores, ~55 s), the teacher fine-tuned with fineTune's LP-FT, with the
 * CPU GEMM of commit 09ebd81 (its K slices changed the summation order everywhere):
 *   fine-tuned on all 50 labels (no self-training)            87.27% test accuracy
 *   round 0: teacher on the 40 training labels (10 held out)  86.13%, 8/10 held out right
 *   round 1: student, 1,450 pseudo-labels (95.5% right)       89.40%, 9/10: accepted
 *   round 2: student, 1,570 pseudo-labels (96.2% right)       87.93%, 9/10: accepted (not worse held out)
 * i.e. +1.8 points over its own teacher and +0.7 over fine-tuning on all labels. The GEMM before it gave
 * teacher 85.93%, students 86.87% and 90.67% (+4.7 and +3.4 points); earlier kernels 86.27% -> 89.13%;
 * the plain 40-epoch teacher recipe of 2026-11-22: 77.40% -> 82.67%, baseline 79.53%. The final model
 * moves by 1-3 points with the summation order because the 10 held-out labels cannot tell a 89.4% student
 * from an 87.9% one. The bounds ask for what the runs above showed: at least 1.5 points over the
 * teacher, and better than fine-tuning on all 50 labels.
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
    expect(final).toBeGreaterThan(baseline.accuracy);
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
