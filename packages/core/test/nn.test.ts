import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, GELU, Generator,
  Identity, LayerNorm, freezeBatchNormStatistics, Linear, MaxPool2d, Module, ReLU, Sequential, SiLU, Sigmoid, Tanh, manualSeed, randn, tensor,
  zerosKept, cudaDeviceAvailable, type Tensor,
} from '../src/index.js';

/** Max of |a - b| / (atol + rtol |b|) over all elements. */
function scaledError(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return worst;
}

function data(t: Tensor): Float32Array {
  return t.dataSync();
}

/** float64 reference conv: x (N,C,H,W), w (K,C/G,R,S), b (K) -> y (N,K,P,Q). */
function convRef(
  x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, dil: number, groups: number,
): { y: Float64Array; shape: number[] } {
  const [n, c, h, wd] = x.shape, [k, cg, r, s] = w.shape;
  const p = Math.floor((h + 2 * pad - dil * (r - 1) - 1) / stride) + 1;
  const q = Math.floor((wd + 2 * pad - dil * (s - 1) - 1) / stride) + 1;
  const xs = data(x), ws = data(w), bs = b ? data(b) : null;
  const y = new Float64Array(n * k * p * q);
  const kg = k / groups;
  for (let ni = 0; ni < n; ni++) for (let ki = 0; ki < k; ki++) for (let pi = 0; pi < p; pi++) for (let qi = 0; qi < q; qi++) {
    let acc = bs ? bs[ki] : 0;
    const g = Math.floor(ki / kg);
    for (let ci = 0; ci < cg; ci++) for (let ri = 0; ri < r; ri++) for (let si = 0; si < s; si++) {
      const hi = pi * stride - pad + ri * dil, wi = qi * stride - pad + si * dil;
      if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
      acc += xs[((ni * c + g * cg + ci) * h + hi) * wd + wi] * ws[((ki * cg + ci) * r + ri) * s + si];
    }
    y[((ni * k + ki) * p + pi) * q + qi] = acc;
  }
  return { y, shape: [n, k, p, q] };
}

class Net extends Module {
  readonly body = this.registerModule('body', new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU()));
  readonly fc = this.registerModule('fc', new Linear(4, 2));

  forward(x: Tensor): Tensor {
    return this.fc.forward(this.body.forward(x).mean([2, 3]));
  }
}

describe('Module', () => {
  it('names state like PyTorch: own parameters, buffers, then children in order', () => {
    const net = new Net();
    expect([...net.stateDict().keys()]).toEqual([
      'body.0.weight', 'body.0.bias', 'body.1.weight', 'body.1.bias', 'body.1.running_mean', 'body.1.running_var',
      'body.1.num_batches_tracked', 'fc.weight', 'fc.bias',
    ]);
    expect([...net.namedParameters()].map(([n]) => n)).toEqual(['body.0.weight', 'body.0.bias', 'body.1.weight', 'body.1.bias', 'fc.weight', 'fc.bias']);
    expect([...net.namedModules()].map(([n]) => n)).toEqual(['', 'body', 'body.0', 'body.1', 'body.2', 'fc']);
    expect([...net.children()]).toEqual([net.body, net.fc]);
    expect(net.numParameters()).toBe(4 * 3 * 9 + 4 + 4 + 4 + 8 + 2);
    expect(() => net.registerModule('a.b', new Identity())).toThrow(/must be non-empty and contain no '\.'/);
    expect(() => net.registerParameter('body', zerosKept([1]))).toThrow(/'body' is already a module of Net/);
  });

  it('train/eval reach every descendant; apply visits children first', () => {
    const net = new Net().eval();
    expect([...net.namedModules()].every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.body.at(1).training).toBe(true);
    const order: string[] = [];
    net.apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['Conv2d', 'BatchNorm2d', 'ReLU', 'Sequential', 'Linear', 'Net']);
  });

  it('loadStateDict copies in place, and strict mode names every problem and loads nothing', () => {
    manualSeed(1);
    const a = new Net(), b = new Net();
    const weightRef = b.fc.weight;
    b.loadStateDict(a.stateDict());
    expect(b.fc.weight).toBe(weightRef);
    expect(Array.from(data(b.fc.weight))).toEqual(Array.from(data(a.fc.weight)));
    expect(b.stateDict().get('body.1.num_batches_tracked')!.dtype).toBe('int64');

    const c = new Net();
    const before = Array.from(data(c.fc.bias!));
    const bad = new Map(a.stateDict());
    bad.delete('fc.bias');
    bad.set('extra.weight', zerosKept([1]));
    bad.set('fc.weight', zerosKept([3, 4]));
    expect(() => c.loadStateDict(bad)).toThrow(
      /Net does not match the state dict: missing: fc\.bias; unexpected: extra\.weight; shape mismatch: fc\.weight expected \[2, 4\] got \[3, 4\]/,
    );
    expect(Array.from(data(c.fc.bias!))).toEqual(before);
    const report = c.loadStateDict(bad, { strict: false });
    expect(report).toEqual({ missing: ['fc.bias'], unexpected: ['extra.weight'], mismatched: [{ key: 'fc.weight', expected: [2, 4], got: [3, 4] }] });
    expect(Array.from(data(c.body.at(0).parameters()[0]))).toEqual(Array.from(data(a.body.at(0).parameters()[0])));
  });

  it('freeze/unfreeze by glob, prefix or RegExp; frozen parameters get no gradient', () => {
    const net = new Net();
    expect(net.freeze('body')).toEqual(['body.0.weight', 'body.0.bias', 'body.1.weight', 'body.1.bias']);
    expect(net.trainableParameters()).toEqual([net.fc.weight, net.fc.bias]);
    expect(net.unfreeze('body.*.bias')).toEqual(['body.0.bias', 'body.1.bias']);
    expect(net.unfreeze(/weight$/)).toEqual(['body.0.weight', 'body.1.weight', 'fc.weight']);
    net.freeze();
    net.unfreeze(['fc']);
    net.forward(randn([2, 3, 5, 5], { seed: 1 })).sum().backward();
    expect(net.fc.weight.grad).not.toBeNull();
    expect(net.body.at(0).parameters()[0].grad).toBeNull();
    expect(() => net.freeze('nothing*')).toThrow(/freeze: no parameter of Net matches nothing\*/);
  });

  it('to() accepts cpu and refuses other devices with the reason', () => {
    expect(new Net().to('cpu')).toBeInstanceOf(Net);
    // Without a usable GPU the move is refused with the reason (tests/cuda.test.ts covers a GPU).
    if (!cudaDeviceAvailable()) expect(() => new Net().to('cuda')).toThrow(/cannot use device 'cuda': (Graft was built without CUDA|no CUDA device)/);
  });
});

describe('Sequential', () => {
  it('names children by index and indexes like PyTorch', () => {
    const seq = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBe(seq.at(2));
    const head = new Linear(4, 5);
    seq.set(-1, head);
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.forward(randn([6, 3], { seed: 2 })).shape).toEqual([6, 5]);
    expect(() => seq.at(3)).toThrow(/index 3 is out of range for 3 layers/);
  });
});

describe('initialisation', () => {
  it('Linear and Conv2d draw U(±1/√fanIn) for weights and biases, reproducibly', () => {
    manualSeed(5);
    const fc = new Linear(300, 200);
    manualSeed(5);
    const again = new Linear(300, 200);
    expect(Array.from(data(again.weight))).toEqual(Array.from(data(fc.weight)));
    const bound = 1 / Math.sqrt(300);
    const w = data(fc.weight);
    let sq = 0, largest = 0;
    for (const v of w) {
      largest = Math.max(largest, Math.abs(v));
      sq += v * v;
    }
    expect(largest).toBeLessThanOrEqual(bound);
    // Std of U(-b, b) is b/√3; with 60,000 draws the sample std is within 1%.
    expect(Math.sqrt(sq / w.length) / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    const conv = new Conv2d(6, 8, 3, { groups: 2 });
    const cb = 1 / Math.sqrt(3 * 9);
    for (const v of data(conv.bias!)) expect(Math.abs(v)).toBeLessThanOrEqual(cb);
  });

  it('Generator state round-trips', () => {
    const g = new Generator(9);
    g.normal(3, 0, 1);
    const saved = g.getState();
    const first = g.uniform(5, 0, 1);
    g.setState(saved);
    expect(g.uniform(5, 0, 1)).toEqual(first);
  });
});

describe('layers against float64 references', () => {
  it.each([[1, 1, 1], [7, 13, 5], [4, 8, 16], [0, 3, 2]])('Linear (N=%i, in=%i, out=%i)', (n, inF, outF) => {
    const fc = new Linear(inF, outF);
    const x = randn([n, inF], { seed: n + inF });
    const y = data(fc.forward(x));
    const xs = data(x), w = data(fc.weight), b = data(fc.bias!);
    const ref = new Float64Array(n * outF);
    for (let i = 0; i < n; i++) for (let o = 0; o < outF; o++) {
      let acc = b[o];
      for (let k = 0; k < inF; k++) acc += xs[i * inF + k] * w[o * inF + k];
      ref[i * outF + o] = acc;
    }
    // float32 dot products of length <= 13: a few ulps of the largest partial sum.
    expect(scaledError(y, ref, 1e-6, 1e-5)).toBeLessThan(1);
  });

  it.each([
    { n: 2, c: 4, k: 6, h: 7, w: 5, r: 3, stride: 1, pad: 1, dil: 1, groups: 2 },
    { n: 1, c: 3, k: 5, h: 11, w: 13, r: 3, stride: 2, pad: 2, dil: 2, groups: 1 },
    { n: 3, c: 6, k: 6, h: 5, w: 5, r: 1, stride: 1, pad: 0, dil: 1, groups: 6 },
  ])('Conv2d %o', (o) => {
    const conv = new Conv2d(o.c, o.k, o.r, { stride: o.stride, padding: o.pad, dilation: o.dil, groups: o.groups });
    const x = randn([o.n, o.c, o.h, o.w], { seed: 3 });
    const y = conv.forward(x);
    const ref = convRef(x, conv.weight, conv.bias, o.stride, o.pad, o.dil, o.groups);
    expect([...y.shape]).toEqual(ref.shape);
    // Sums of <= 27 float32 products of O(1) values: 1e-5 relative plus 1e-5 absolute.
    expect(scaledError(data(y), ref.y, 1e-5, 1e-5)).toBeLessThan(1);
  });

  it('BatchNorm2d: batch statistics, running updates (unbiased variance), counter, eval and frozen modes', () => {
    const bn = new BatchNorm2d(3);
    data(bn.weight!).set([1, 2, 0.5]);
    data(bn.bias!).set([0, -1, 3]);
    const x = randn([4, 3, 5, 7], { seed: 11, mean: 2, std: 3 });
    const xs = data(x);
    const y = data(bn.forward(x));
    const m = 4 * 5 * 7;
    for (let c = 0; c < 3; c++) {
      let mean = 0, sq = 0;
      const idx: number[] = [];
      for (let n = 0; n < 4; n++) for (let i = 0; i < 35; i++) idx.push((n * 3 + c) * 35 + i);
      for (const i of idx) mean += xs[i];
      mean /= m;
      for (const i of idx) sq += (xs[i] - mean) ** 2;
      const varBiased = sq / m;
      const ref = idx.map((i) => ((xs[i] - mean) / Math.sqrt(varBiased + 1e-5)) * [1, 2, 0.5][c] + [0, -1, 3][c]);
      // Normalised O(1) values through float32 statistics: 1e-4 absolute.
      expect(scaledError(idx.map((i) => y[i]), ref, 1e-4, 1e-4)).toBeLessThan(1);
      expect(data(bn.runningMean!)[c]).toBeCloseTo(0.1 * mean, 5);
      expect(data(bn.runningVar!)[c]).toBeCloseTo(0.9 + 0.1 * (sq / (m - 1)), 4);
    }
    expect(bn.numBatchesTracked!.item()).toBe(1);

    const evalOut = data(bn.eval().forward(x)).slice();
    const stats = [data(bn.runningMean!).slice(), data(bn.runningVar!).slice()];
    bn.train().freezeStatistics();
    const frozenOut = bn.forward(x);
    expect(Array.from(data(frozenOut))).toEqual(Array.from(evalOut));
    expect(data(bn.runningMean!)).toEqual(stats[0]);
    expect(data(bn.runningVar!)).toEqual(stats[1]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    frozenOut.sum().backward();
    // d(sum y)/d bias = number of elements per channel.
    expect(Array.from(data(bn.bias!.grad!))).toEqual([m, m, m]);
    expect(() => bn.forward(randn([2, 4, 3, 3], { seed: 1 }))).toThrow(/BatchNorm2d: input has 4 channels \(shape \[2, 4, 3, 3\]\), expected 3/);
    expect(() => bn.forward(randn([2, 3], { seed: 1 }))).toThrow(/expected \(N, C, H, W\) input/);
  });

  it('freezeBatchNormStatistics reaches every batch norm layer', () => {
    const net = new Sequential(new Conv2d(1, 2, 1), new BatchNorm2d(2), new Sequential(new BatchNorm2d(2)));
    expect(freezeBatchNormStatistics(net)).toBe(2);
    expect((net.at(1) as BatchNorm2d).frozenStats).toBe(true);
    expect(freezeBatchNormStatistics(net, false)).toBe(2);
    expect((net.at(1) as BatchNorm2d).frozenStats).toBe(false);
  });

  it('BatchNorm1d with momentum null keeps a cumulative average', () => {
    const bn = new BatchNorm1d(2, { momentum: null });
    const means: number[] = [];
    for (let s = 0; s < 3; s++) {
      const x = randn([5, 2], { seed: 20 + s, mean: s });
      bn.forward(x);
      const xs = data(x);
      means.push((xs[0] + xs[2] + xs[4] + xs[6] + xs[8]) / 5);
    }
    expect(bn.numBatchesTracked!.item()).toBe(3);
    expect(data(bn.runningMean!)[0]).toBeCloseTo((means[0] + means[1] + means[2]) / 3, 5);
    expect(bn.forward(randn([2, 2, 4], { seed: 1 })).shape).toEqual([2, 2, 4]);
  });

  it('LayerNorm over the last dim', () => {
    const ln = new LayerNorm(7);
    const x = randn([3, 7], { seed: 4, std: 2 });
    const y = data(ln.forward(x)), xs = data(x);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(xs.subarray(r * 7, r * 7 + 7));
      const mean = row.reduce((a, b) => a + b) / 7;
      const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 7;
      // Normalised O(1) values: 1e-5 absolute.
      expect(scaledError(y.subarray(r * 7, r * 7 + 7), row.map((e) => (e - mean) / Math.sqrt(v + 1e-5)), 1e-5, 1e-5)).toBeLessThan(1);
    }
  });

  it('Embedding looks rows up; the padding row stays zero and gets no gradient', () => {
    const emb = new Embedding(5, 3, { paddingIdx: 1 });
    const idx = tensor([[0, 1], [4, 1]], { dtype: 'int64' });
    const out = emb.forward(idx);
    expect(out.shape).toEqual([2, 2, 3]);
    const w = data(emb.weight);
    expect(Array.from(data(out).subarray(6, 9))).toEqual(Array.from(w.subarray(12, 15)));
    expect(Array.from(w.subarray(3, 6))).toEqual([0, 0, 0]);
    out.sum().backward();
    expect(Array.from(data(emb.weight.grad!))).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it('activations match their formulas', () => {
    const x = tensor([-3, -0.5, 0, 0.7, 2.5]);
    const xs = Array.from(data(x));
    const erf = (z: number): number => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|z| < 3).
      let sum = 0, term = z;
      for (let n = 0; n < 60; n++) { sum += term / (2 * n + 1); term *= (-z * z) / (n + 1); }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const cases: [Module, (v: number) => number][] = [
      [new ReLU(), (v) => Math.max(0, v)],
      [new GELU(), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      [new SiLU(), (v) => v / (1 + Math.exp(-v))],
      [new Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
      [new Tanh(), Math.tanh],
      [new Identity(), (v) => v],
    ];
    // float32 transcendental functions: 1e-6 absolute + 1e-5 relative.
    for (const [m, f] of cases) expect(scaledError(data((m as Module<[Tensor], Tensor>).forward(x)), xs.map(f), 1e-6, 1e-5)).toBeLessThan(1);
  });

  it('Dropout: identity in eval; in training zeroes about p and scales the rest by 1/(1-p); seeded', () => {
    const x = randn([4000], { seed: 8 }).abs().add(1);
    const drop = new Dropout(0.25);
    expect(drop.eval().forward(x)).toBe(x);
    drop.train();
    manualSeed(3);
    const a = data(drop.forward(x));
    manualSeed(3);
    const b = data(drop.forward(x));
    expect(Array.from(a)).toEqual(Array.from(b));
    const xs = data(x);
    let zeros = 0, worst = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === 0) zeros++;
      else worst = Math.max(worst, Math.abs(a[i] - xs[i] / 0.75) / (xs[i] / 0.75));
    }
    // One float32 multiply by 1/(1-p): a few ulps.
    expect(worst).toBeLessThan(1e-6);
    // Binomial(4000, 0.25): std ≈ 27; 5 std either side.
    expect(Math.abs(zeros - 1000)).toBeLessThan(140);
    expect(() => new Dropout(1.5)).toThrow(/Dropout: argument 'p' must be in \[0, 1\], got 1.5/);
  });

  it('pools and Flatten against direct computation', () => {
    const x = randn([2, 3, 7, 5], { seed: 12 });
    const xs = data(x);
    const at = (n: number, c: number, h: number, w: number): number => xs[((n * 3 + c) * 7 + h) * 5 + w];
    const mp = new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x);
    expect(mp.shape).toEqual([2, 3, 4, 3]);
    const mpv = data(mp);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) for (let q = 0; q < 3; q++) {
      let best = -Infinity;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        const h = 2 * p - 1 + i, w = 2 * q - 1 + j;
        if (h >= 0 && h < 7 && w >= 0 && w < 5) best = Math.max(best, at(n, c, h, w));
      }
      expect(mpv[((n * 3 + c) * 4 + p) * 3 + q]).toBe(best);
    }
    const ap = data(new AvgPool2d(2).forward(x));
    expect(ap[0]).toBeCloseTo((at(0, 0, 0, 0) + at(0, 0, 0, 1) + at(0, 0, 1, 0) + at(0, 0, 1, 1)) / 4, 6);
    const gap = new AdaptiveAvgPool2d(1).forward(x);
    let s = 0;
    for (let h = 0; h < 7; h++) for (let w = 0; w < 5; w++) s += at(1, 2, h, w);
    expect(data(gap)[5]).toBeCloseTo(s / 35, 5);
    // Adaptive bins overlap when the size does not divide: bin 1 of 3 over 7 rows is rows 2..4.
    const ad = data(new AdaptiveAvgPool2d([3, 1]).forward(x));
    let bin = 0;
    for (let h = 2; h < 5; h++) for (let w = 0; w < 5; w++) bin += at(0, 0, h, w);
    expect(ad[1]).toBeCloseTo(bin / 15, 5);
    expect(new Flatten().forward(x).shape).toEqual([2, 105]);
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow(/MaxPool2d: padding 2 must be at most half the kernel size 2/);
  });

  it('bad layer sizes name the layer and the argument', () => {
    expect(() => new Linear(0, 3)).toThrow(/Linear: argument 'inFeatures' must be an integer >= 1, got 0/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/Conv2d: inChannels 3 and outChannels 4 must be divisible by groups 2/);
    expect(() => new Conv2d(3, 4, 3, { padding: -1 })).toThrow(/Conv2d: argument 'padding' must be an integer >= 0/);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(/Embedding: argument 'paddingIdx' 4 is out of range/);
  });
});
