import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, classificationReport, confusionMatrix, macroF1, topKAccuracy } from '../src/metrics.js';

// Expected values computed with scikit-learn's definitions by hand:
// y_true = [0,0,1,1,2,2,2], y_pred = [0,1,1,1,2,0,1]
// class 0: tp 1, predicted 2, support 2 -> p .5 r .5 f1 .5
// class 1: tp 2, predicted 4, support 2 -> p .5 r 1 f1 2/3
// class 2: tp 1, predicted 1, support 3 -> p 1 r 1/3 f1 .5
describe('metrics', () => {
  const labels = [0, 0, 1, 1, 2, 2, 2];
  const preds = [0, 1, 1, 1, 2, 0, 1];

  it('computes accuracy, per-class scores, macro averages and the confusion matrix', () => {
    const r = classificationReport(preds, labels, 3);
    expect(r.accuracy).toBeCloseTo(4 / 7, 12);
    expect(r.perClass.map((c) => c.f1)).toEqual([0.5, expect.closeTo(2 / 3, 12), 0.5]);
    expect(r.perClass.map((c) => c.support)).toEqual([2, 2, 3]);
    expect(r.macroF1).toBeCloseTo((0.5 + 2 / 3 + 0.5) / 3, 12);
    expect(r.macroPrecision).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    expect(r.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 1, 1]]);
    expect(accuracy(preds, labels)).toBeCloseTo(4 / 7, 12);
    expect(macroF1(preds, labels, 3)).toBeCloseTo(5 / 9, 12);
  });

  it('macro averages skip classes absent from both labels and predictions', () => {
    expect(macroF1([0, 1], [0, 1], 10)).toBe(1);
    expect(confusionMatrix([], [], 2)).toEqual([[0, 0], [0, 0]]);
  });

  it('top-k accuracy and arg-max break ties toward the lower index', () => {
    const logits = Float32Array.from([0.1, 0.5, 0.4, 0.3, 0.3, 0.3]);
    expect(Array.from(argmaxRows(logits, 2, 3))).toEqual([1, 0]);
    expect(topKAccuracy(logits, 2, 3, [2, 2], 1)).toBe(0);
    expect(topKAccuracy(logits, 2, 3, [2, 2], 2)).toBe(0.5);
    expect(topKAccuracy(logits, 2, 3, [2, 2], 3)).toBe(1);
  });

  it('names the bad argument', () => {
    expect(() => accuracy([1], [1, 2])).toThrow(/predictions has 1 items but labels has 2/);
    expect(() => confusionMatrix([0, 5], [0, 1], 3)).toThrow(/predictions\[1\] = 5 is not a class in \[0, 3\)/);
    expect(() => topKAccuracy([1, 2], 1, 2, [0], 0)).toThrow(/k must be an integer >= 1/);
  });
});
