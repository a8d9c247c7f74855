import { describe, expect, it } from 'vitest';
import {
  Subset, TensorDataset, UnlabelledPool, classCounts, concat, filterClasses, remapLabels, sampleKPerClass, trainValSplit,
  withLabels, withoutLabels,
} from '@graft/data';
import { randomImages } from './helpers.js';

describe('dataset views', () => {
  const ds = randomImages(23, [1, 3, 2], 5, 1); // labels 0..4 cycling; 23 = prime, uneven classes

  it('TensorDataset checks sizes and returns views', () => {
    expect(() => new TensorDataset(new Uint8Array(5), [2, 3], Int32Array.of(0, 1))).toThrow(/images has 5 elements but shape \[2, 3\] needs 6/);
    expect(() => new TensorDataset(new Uint8Array(6), [2, 3], Int32Array.of(0))).toThrow(/2 images but 1 labels/);
    expect(() => ds.get(23)).toThrow(/index 23 is out of range for a dataset of length 23/);
    expect(ds.get(4).image.buffer).toBe(ds.images.buffer);
    const empty = new TensorDataset(new Float32Array(0), [0, 4], new Int32Array(0));
    expect(empty.length).toBe(0);
    expect(classCounts(empty)).toEqual([]);
  });

  it('Subset, concat, filterClasses and remapLabels keep items and labels straight', () => {
    const sub = new Subset(ds, [22, 0, 22]);
    expect([sub.label(0), sub.label(1), sub.label(2)]).toEqual([2, 0, 2]);
    expect(() => new Subset(ds, [23])).toThrow(/indices\[0\] = 23 is out of range/);
    const both = concat(sub, new Subset(ds, []), ds);
    expect(both.length).toBe(26);
    expect(both.get(3).image).toEqual(ds.get(0).image);
    expect(both.label(25)).toBe(ds.label(22));
    const target = filterClasses(ds, [3, 4], { remap: true });
    expect(target.length).toBe(8);
    expect(classCounts(target)).toEqual([4, 4]);
    expect(() => remapLabels(ds, { 0: 0, 1: 1 })).toThrow(/item 2 has label 2, which the mapping does not cover/);
    expect(classCounts(remapLabels(ds, [4, 3, 2, 1, 0]))).toEqual([4, 4, 5, 5, 5]);
    expect(classCounts(ds, 5)).toEqual([5, 5, 5, 4, 4]);
    expect(() => classCounts(ds, 3)).toThrow(/item 3 has label 3, not a class in \[0, 3\)/);
  });
});

describe('splits', () => {
  const ds = randomImages(100, [1, 2, 2], 4, 2);

  it('sampleKPerClass: k per class, seeded, the rest an unlabelled pool', () => {
    const { labelled, pool } = sampleKPerClass(ds, 3, 7);
    expect(classCounts(labelled, 4)).toEqual([3, 3, 3, 3]);
    expect(pool.length).toBe(88);
    expect(Object.keys(pool.get(0)).sort()).toEqual(['image', 'shape']);
    const labelledSet = new Set(labelled.indices);
    for (const i of pool.sourceIndices) expect(labelledSet.has(i)).toBe(false);
    expect([...pool.groundTruthForAnalysis()]).toEqual([...pool.sourceIndices].map((i) => ds.label(i)));
    expect(pool).toBeInstanceOf(UnlabelledPool);
    expect([...sampleKPerClass(ds, 3, 7).labelled.indices]).toEqual([...labelled.indices]);
    expect([...sampleKPerClass(ds, 3, 8).labelled.indices]).not.toEqual([...labelled.indices]);
    expect(() => sampleKPerClass(ds, 26, 0)).toThrow(/class 0 has 25 items, fewer than k = 26/);
    expect(sampleKPerClass(ds, 0, 0).pool.length).toBe(100);
  });

  it('trainValSplit: stratified by fraction or by exact size, disjoint and complete', () => {
    const { train, val } = trainValSplit(ds, { valFraction: 0.2, seed: 3 });
    expect(classCounts(val, 4)).toEqual([5, 5, 5, 5]);
    const all = [...train.indices, ...val.indices].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(trainValSplit(ds, { valSize: 7, seed: 3 }).val.length).toBe(7);
    expect(() => trainValSplit(ds, { seed: 0 })).toThrow(/exactly one of valFraction and valSize/);
    expect(() => trainValSplit(ds, { valFraction: 1.5, seed: 0 })).toThrow(/valFraction must be in \[0, 1\]/);
  });

  it('withLabels / withoutLabels convert between labelled and unlabelled datasets', () => {
    const { pool } = sampleKPerClass(ds, 1, 0);
    const pseudo = withLabels(pool, new Int32Array(pool.length).fill(2));
    expect(classCounts(pseudo)).toEqual([0, 0, 96]);
    expect(() => withLabels(pool, [1])).toThrow(/dataset has 96 items but 1 labels/);
    expect(Object.keys(withoutLabels(ds).get(5))).toEqual(['image', 'shape']);
  });
});
