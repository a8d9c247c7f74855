import { describe, expect, it } from 'vitest';
import { pseudoLabelAccuracy, selectPseudoLabels, softmaxRows } from '../src/index.js';

/** Logits whose softmax over 3 classes puts probability p on class k (the rest split evenly). */
function rowFor(k: number, p: number): number[] {
  const rest = (1 - p) / 2;
  return [0, 1, 2].map((j) => Math.log(j === k ? p : rest));
}

function logitsOf(rows: Array<[number, number]>): Float32Array {
  return Float32Array.from(rows.flatMap(([k, p]) => rowFor(k, p)));
}

// Class 0 is the teacher's favourite: many confident items. Class 2 is rare and unconfident.
const rows: Array<[number, number]> = [
  [0, 0.99], [0, 0.98], [0, 0.97], [0, 0.96], [0, 0.95], [0, 0.6],
  [1, 0.97], [1, 0.92], [1, 0.7],
  [2, 0.8], [2, 0.5],
];
const logits = logitsOf(rows);
const n = rows.length;

describe('selectPseudoLabels', () => {
  it('fixed threshold without balance keeps exactly the items at or above it', () => {
    const sel = selectPseudoLabels(logits, n, 3, { adaptive: 'fixed', threshold: 0.9, balance: 'none' });
    expect(sel.keptPerClass).toEqual([5, 2, 0]);
    expect(sel.predictedPerClass).toEqual([6, 3, 2]);
    expect([...sel.indices]).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect([...sel.labels]).toEqual([0, 0, 0, 0, 0, 1, 1]);
    // one-hot targets, rows aligned with indices
    expect([...sel.targets.subarray(15, 18)]).toEqual([0, 1, 0]);
  });

  it('cap balances classes at the smallest non-empty one, most confident first', () => {
    const sel = selectPseudoLabels(logits, n, 3, { adaptive: 'fixed', threshold: 0.9, balance: 'cap' });
    expect(sel.keptPerClass).toEqual([2, 2, 0]);
    expect([...sel.indices]).toEqual([0, 1, 6, 7]);
  });

  it('the quantile mode lowers the threshold of an unconfident class to its own median', () => {
    const sel = selectPseudoLabels(logits, n, 3, { adaptive: 'quantile', quantile: 0.5, threshold: 0.9, balance: 'none' });
    // class 2 confidences [0.8, 0.5]: its median position is 0.5 -> threshold min(0.9, 0.5)
    expect(sel.thresholds[2]).toBeCloseTo(0.5, 5);
    expect(sel.thresholds[0]).toBeCloseTo(0.9, 5);
    expect(sel.keptPerClass).toEqual([5, 2, 2]);
  });

  it('the FlexMatch mode gives a class the teacher is rarely confident about a lower threshold', () => {
    const sel = selectPseudoLabels(logits, n, 3, { adaptive: 'flexmatch', threshold: 0.9, balance: 'none' });
    // sigma = [5, 2, 0]; 4 unconfident items; normaliser max(4, 5) = 5; tau_c = 0.9 * b / (2 - b)
    expect(sel.thresholds[0]).toBeCloseTo(0.9, 5);
    expect(sel.thresholds[1]).toBeCloseTo(0.9 * 0.4 / 1.6, 5);
    expect(sel.thresholds[2]).toBe(0);
    expect(sel.keptPerClass).toEqual([5, 3, 2]);
  });

  it('topk takes the k most confident per class regardless of thresholds, and duplication fills rare classes', () => {
    const sel = selectPseudoLabels(logits, n, 3, { balance: 'topk', perClass: 3, duplicateRare: true });
    expect(sel.keptPerClass).toEqual([3, 3, 2]);
    expect([...sel.indices]).toEqual([0, 1, 2, 6, 7, 8, 9, 10, 9]);
  });

  it('soft labels are the temperature-scaled softmax of the logits', () => {
    const sel = selectPseudoLabels(logits, n, 3, { adaptive: 'fixed', threshold: 0.99, balance: 'none', labels: 'soft', temperature: 2 });
    expect([...sel.indices]).toEqual([0]);
    const expected = softmaxRows(logits.subarray(0, 3), 1, 3, 2);
    for (let j = 0; j < 3; j++) expect(sel.targets[j]).toBeCloseTo(expected[j] as number, 6);
    // T = 2 softens: the top class's target is below its probability 0.99
    expect(sel.targets[0]).toBeLessThan(0.99);
    expect(sel.confidence[0]).toBeCloseTo(0.99, 5);
  });

  it('rejects an empty pool and thresholds outside (0, 1]', () => {
    expect(() => selectPseudoLabels(new Float32Array(0), 0, 3)).toThrow(/pool is empty/);
    expect(() => selectPseudoLabels(logits, n, 3, { threshold: 0 })).toThrow(/threshold must be in \(0, 1\], got 0/);
    expect(() => selectPseudoLabels(logits, n, 3, { threshold: 1.5 })).toThrow(/threshold must be in \(0, 1\]/);
    expect(() => selectPseudoLabels(logits, n, 3, { balance: 'topk' })).toThrow(/needs perClass/);
    expect(() => selectPseudoLabels(logits, n, 4)).toThrow(/expected n \* classes/);
  });
});

describe('pseudoLabelAccuracy', () => {
  it('scores distinct kept items per pseudo-label class', () => {
    const sel = selectPseudoLabels(logits, n, 3, { balance: 'topk', perClass: 2, duplicateRare: true });
    const truth = Int32Array.from([0, 1, 0, 0, 0, 0, 1, 1, 1, 2, 0]);
    const acc = pseudoLabelAccuracy(sel, truth);
    // kept: class 0 -> items 0 (right), 1 (wrong); class 1 -> 6, 7 (right); class 2 -> 9 (right), 10 (wrong)
    expect(acc.accuracy).toBeCloseTo(4 / 6, 10);
    expect(acc.perClass).toEqual([0.5, 1, 0.5]);
  });
});
