import { describe, expect, it } from 'vitest';
import { BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, randn, tensor, type Tensor } from '../src/index.js';

/** float64 log-softmax of row r of (N, C) logits. */
function logSoftmaxRow(x: Float32Array, c: number, r: number): number[] {
  const row = Array.from(x.subarray(r * c, r * c + c));
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

function value(t: Tensor): number {
  return t.item();
}

// Losses are means of O(1) float32 terms: 1e-5 relative is a few ulps of the accumulated sum.
const RTOL = 1e-5;

describe.each([[1, 1], [5, 3], [7, 10], [2, 17]])('CrossEntropyLoss on (N=%i, C=%i)', (n, c) => {
  const logits = randn([n, c], { seed: n * 31 + c, std: 2 });
  const x = logits.dataSync();
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + 3) % c);
  const target = tensor(labels, { dtype: 'int64' });
  const logp = Array.from({ length: n }, (_, r) => logSoftmaxRow(x, c, r));

  it('class indices, mean and sum', () => {
    const ref = labels.reduce((s, y, r) => s - logp[r][y], 0);
    expect(value(new CrossEntropyLoss().forward(logits, target))).toBeCloseTo(ref / n, 5);
    expect(Math.abs(value(new CrossEntropyLoss({ reduction: 'sum' }).forward(logits, target)) - ref)).toBeLessThan(RTOL * Math.abs(ref) + 1e-6);
  });

  it('class weights: weighted mean over the weights of the targets', () => {
    const w = Array.from({ length: c }, (_, i) => 0.5 + i / c);
    const loss = new CrossEntropyLoss({ weight: tensor(w) }).forward(logits, target);
    const num = labels.reduce((s, y, r) => s - w[y] * logp[r][y], 0);
    const den = labels.reduce((s, y) => s + w[y], 0);
    expect(Math.abs(value(loss) - num / den)).toBeLessThan(RTOL * Math.abs(num / den) + 1e-6);
  });

  it('label smoothing: (1-ε)·nll + ε·mean over classes of -log p', () => {
    const eps = 0.1;
    const ref = labels.reduce((s, y, r) => s + (1 - eps) * -logp[r][y] + (eps / c) * logp[r].reduce((a, v) => a - v, 0), 0) / n;
    const got = value(new CrossEntropyLoss({ labelSmoothing: eps }).forward(logits, target));
    expect(Math.abs(got - ref)).toBeLessThan(RTOL * Math.abs(ref) + 1e-6);
  });

  it('soft targets (class probabilities)', () => {
    const probs = randn([n, c], { seed: 5 }).softmax(-1);
    const p = probs.dataSync();
    let ref = 0;
    for (let r = 0; r < n; r++) for (let k = 0; k < c; k++) ref -= p[r * c + k] * logp[r][k];
    const got = value(new CrossEntropyLoss().forward(logits, probs));
    expect(Math.abs(got - ref / n)).toBeLessThan(RTOL * Math.abs(ref / n) + 1e-6);
  });
});

describe('other losses', () => {
  it('CrossEntropyLoss ignores ignoreIndex targets and checks labelSmoothing', () => {
    const logits = randn([3, 4], { seed: 1 });
    const logp = [0, 1, 2].map((r) => logSoftmaxRow(logits.dataSync(), 4, r));
    const got = value(new CrossEntropyLoss({ ignoreIndex: -1 }).forward(logits, tensor([2, -1, 0], { dtype: 'int64' })));
    expect(got).toBeCloseTo(-(logp[0][2] + logp[2][0]) / 2, 5);
    expect(() => new CrossEntropyLoss({ labelSmoothing: 2 })).toThrow(/CrossEntropyLoss: argument 'labelSmoothing' must be in \[0, 1\], got 2/);
  });

  it('MSELoss, mean and sum', () => {
    const a = randn([4, 5], { seed: 2 }), b = randn([4, 5], { seed: 3 });
    const [x, y] = [a.dataSync(), b.dataSync()];
    let ref = 0;
    for (let i = 0; i < 20; i++) ref += (x[i] - y[i]) ** 2;
    expect(value(new MSELoss().forward(a, b))).toBeCloseTo(ref / 20, 5);
    expect(value(new MSELoss('sum').forward(a, b))).toBeCloseTo(ref, 4);
  });

  it('BCEWithLogitsLoss with pos_weight, stable for large logits', () => {
    const logits = tensor([[-30, 0.5, 2], [40, -1, 0]]);
    const targets = tensor([[0, 1, 1], [1, 0, 1]]);
    const pw = [1, 2, 0.5];
    const x = logits.dataSync(), y = targets.dataSync();
    const logSig = (v: number): number => (v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v)));
    let ref = 0;
    for (let i = 0; i < 6; i++) ref -= pw[i % 3] * y[i] * logSig(x[i]) + (1 - y[i]) * logSig(-x[i]);
    const got = value(new BCEWithLogitsLoss({ posWeight: tensor(pw) }).forward(logits, targets));
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - ref / 6)).toBeLessThan(RTOL * Math.abs(ref / 6) + 1e-6);
  });
});
