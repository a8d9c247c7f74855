import { describe, expect, it } from 'vitest';
import { SmallCNN, manualSeed } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, UnlabelledPool, fashionMnist, filterClasses, sampleKPerClass } from '@graft/data';
import { SelfTrainer, distill, evaluateModel, fixMatch, predictLogits, targetSet, trainOnTargets, viewTransforms } from '../src/index.js';

const train = filterClasses(await fashionMnist({ split: 'train', bundled: true }), [5, 7, 9], { remap: true });
const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
const { labelled, pool: fullPool } = sampleKPerClass(train, 8, 0);
const pool = new UnlabelledPool(train, fullPool.sourceIndices.slice(0, 300));
const emptyPool = new UnlabelledPool(train, []);

function cnn(seed: number, widths: [number, number, number] = [4, 8, 8], classes = 3): SmallCNN {
  manualSeed(seed);
  return new SmallCNN({ inChannels: 1, numClasses: classes, widths });
}

describe('fixMatch', () => {
  it('trains on labelled + confident weak-view labels, reports the mask rate, and repeats with a seed', async () => {
    const run = async (): Promise<{ w: number[]; rates: number[]; losses: number[] }> => {
      const model = cnn(1);
      const rates: number[] = [];
      const losses: number[] = [];
      const result = await fixMatch({
        model, labelled, pool, transforms: views, steps: 12, batchSize: 8, mu: 2, threshold: 0.6, learningRate: 0.05, seed: 3,
        onStep: (s) => { rates.push(s.maskRate); losses.push(s.supervisedLoss); expect(s.loss).toBeCloseTo(s.supervisedLoss + s.unlabelledLoss, 4); },
      });
      expect(result.steps).toBe(12);
      const w = model.parameters().flatMap((p) => Array.from(p.dataSync()));
      model.dispose();
      return { w, rates, losses };
    };
    const a = await run();
    const b = await run();
    expect(a.w).toEqual(b.w);
    expect(a.rates).toEqual(b.rates);
    // Confidence grows as the model learns the labelled items: some weak views pass 0.6 by the end.
    expect(Math.max(...a.rates.slice(-4))).toBeGreaterThan(0);
    expect(a.losses.at(-1)).toBeLessThan(a.losses[0] as number);
  });

  it('checks its input before training', async () => {
    const model = cnn(1);
    await expect(fixMatch({ model, labelled, pool: emptyPool, transforms: views })).rejects.toThrow(/fixMatch: the unlabelled pool is empty/);
    await expect(fixMatch({ model, labelled, pool, transforms: views, threshold: 0 })).rejects.toThrow(/threshold must be in \(0, 1\], got 0/);
    await expect(fixMatch({ model, labelled, pool, transforms: views, mu: 0 })).rejects.toThrow(/mu must be an integer >= 1/);
    model.dispose();
  });
});

describe('distill', () => {
  it('a smaller student learns to agree with the teacher from soft targets', async () => {
    // A teacher with something to teach: trained on 300 labelled items that are not in the pool.
    const teacher = cnn(2, [8, 16, 16]);
    const teacherData = new Subset(train, fullPool.sourceIndices.slice(-300));
    await trainOnTargets(teacher, targetSet([{ data: teacherData }], 3), { epochs: 3, batchSize: 32, learningRate: 0.05, transform: views.weak });
    const test = new Subset(train, Int32Array.from({ length: 200 }, (_, i) => i));
    const student = cnn(9, [4, 8, 8]);
    const agreement = async (): Promise<number> => {
      const t = await predictLogits(teacher, pool, { transform: views.eval });
      const s = await predictLogits(student, pool, { transform: views.eval });
      let same = 0;
      for (let i = 0; i < t.n; i++) {
        const rt = t.logits.subarray(3 * i, 3 * i + 3);
        const rs = s.logits.subarray(3 * i, 3 * i + 3);
        if (rt.indexOf(Math.max(...rt)) === rs.indexOf(Math.max(...rs))) same++;
      }
      return same / t.n;
    };
    const before = await agreement();
    const result = await distill({ teacher, student, transfer: pool, transforms: views, temperature: 4, training: { epochs: 15, batchSize: 32, learningRate: 0.05, seed: 1 } });
    expect(result.transferItems).toBe(pool.length);
    const after = await agreement();
    console.log(`distill: agreement with the teacher on the pool ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    expect(after).toBeGreaterThan(Math.max(before, 0.8));
    expect((await evaluateModel(student, test, { transform: views.eval })).n).toBe(200);
    teacher.dispose();
    student.dispose();
  });

  it('rejects a student whose output size differs from the teacher\'s, before training', async () => {
    const teacher = cnn(2);
    const student = cnn(2, [4, 8, 8], 4);
    await expect(distill({ teacher, student, transfer: pool, transforms: views })).rejects.toThrow(/distill: the student predicts 4 classes but the teacher predicts 3/);
    await expect(distill({ teacher, student: cnn(3), transfer: emptyPool, transforms: views })).rejects.toThrow(/transfer set is empty/);
    teacher.dispose();
    student.dispose();
  });
});

describe('SelfTrainer input checks', () => {
  it('refuses an empty pool, a threshold outside (0, 1] and a mismatched student before any training', async () => {
    let steps = 0;
    const base = {
      model: cnn(1), labelled, pool, transforms: views, createStudent: () => cnn(2),
      callbacks: { onStep: () => { steps++; } },
    };
    expect(() => new SelfTrainer({ ...base, pool: emptyPool })).toThrow(/SelfTrainer: the unlabelled pool is empty/);
    expect(() => new SelfTrainer({ ...base, pseudo: { threshold: 0 } })).toThrow(/SelfTrainer.pseudo: threshold must be in \(0, 1\], got 0/);
    expect(() => new SelfTrainer({ ...base, pseudo: { threshold: 1.01 } })).toThrow(/threshold must be in \(0, 1\], got 1.01/);
    expect(() => new SelfTrainer({ ...base, rounds: 0 })).toThrow(/rounds must be an integer >= 1/);
    expect(() => new SelfTrainer({ ...base, valTolerance: 1 })).toThrow(/SelfTrainer: valTolerance must be in \[0, 1\), got 1/);
    const mismatched = new SelfTrainer({ ...base, createStudent: () => cnn(2, [4, 8, 8], 5) });
    await expect(mismatched.run()).rejects.toThrow(/SelfTrainer: the student predicts 5 classes but the teacher predicts 3/);
    expect(steps).toBe(0);
  });

  it('runs a round end to end on a tiny model and keeps the teacher when the student does worse on validation', async () => {
    const rounds: number[] = [];
    const st = new SelfTrainer({
      model: cnn(1), labelled, pool, transforms: views, createStudent: () => cnn(2), rounds: 2, valFraction: 0.25,
      teacherTraining: { epochs: 3, batchSize: 6 }, studentTraining: { epochs: 1, batchSize: 32 },
      pseudo: { threshold: 0.5, balance: 'cap' }, callbacks: { onRound: (r) => rounds.push(r.round) },
    });
    const result = await st.run();
    expect(rounds).toEqual(result.rounds.map((r) => r.round));
    const r1 = result.rounds[1];
    expect(r1?.pseudoLabels?.keptPerClass.length).toBe(3);
    expect(r1?.pseudoLabels?.accuracy).toBeGreaterThanOrEqual(0);
    expect(r1?.validation.n).toBe(6);
    // The kept model is the last accepted round's; a rejected round ends the run.
    const lastAccepted = [...result.rounds].reverse().find((r) => r.accepted);
    expect(result.bestRound).toBe(lastAccepted?.round);
    const rejected = result.rounds.findIndex((r) => !r.accepted);
    if (rejected >= 0) expect(rejected).toBe(result.rounds.length - 1);
    // The rule: accepted unless below the best accuracy so far by more than one validation item.
    let peak = result.rounds[0]?.validation.accuracy as number;
    for (const r of result.rounds.slice(1)) {
      expect(r.accepted).toBe(r.validation.accuracy >= peak - 1 / 6 - 1e-9);
      if (r.accepted) peak = Math.max(peak, r.validation.accuracy);
    }
    result.model.dispose();
  });
});
