/**
 * Forward values of the ops against float64 references written here, on seeded inputs with odd and
 * edge shapes (1, primes, zero-size dims, broadcast and strided views). Each check states its tolerance.
 */
import { describe, expect, test } from 'vitest';
import {
  tensor, zeros, add, sub, mul, div, pow, maximum, minimum, where, eq, lt, ge, matmul, functional as F, arange, type Tensor,
} from '@graft/core';
import { memoryStats } from '@graft/native';
import { expectClose, randomTensor, seededRandom, values } from './helpers.js';

const rand = seededRandom(42);
const r = (shape: number[], lo = -1, hi = 1): Tensor => randomTensor(shape, rand, lo, hi);

/** Row-major multi-index of a flat position. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Element of `t` (logical indexing, any strides) at a broadcast multi-index. */
function at(t: Tensor, idx: readonly number[]): number {
  const lead = idx.length - t.ndim;
  let pos = t.offset;
  for (let d = 0; d < t.ndim; d++) pos += (t.shape[d] === 1 ? 0 : idx[lead + d]) * t.strides[d];
  return (t.storage.data as Float32Array)[pos];
}

function broadcastRef(a: Tensor, b: Tensor, shape: number[], fn: (x: number, y: number) => number): number[] {
  const n = shape.reduce((p, q) => p * q, 1);
  return Array.from({ length: n }, (_, i) => {
    const idx = unravel(i, shape);
    return fn(at(a, idx), at(b, idx));
  });
}

describe('elementwise', () => {
  const cases: [string, number[], number[], number[]][] = [
    ['same shape', [7, 13], [7, 13], [7, 13]],
    ['row broadcast', [5, 17], [17], [5, 17]],
    ['both broadcast', [3, 1, 5], [4, 1], [3, 4, 5]],
    ['scalar tensor', [9], [], [9]],
    ['zero-size', [0, 3], [3], [0, 3]],
  ];
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', add, (x, y) => x + y],
    ['sub', sub, (x, y) => x - y],
    ['mul', mul, (x, y) => x * y],
    ['div', div, (x, y) => x / y],
    ['maximum', maximum, Math.max],
    ['minimum', minimum, Math.min],
    ['lt', lt, (x, y) => (x < y ? 1 : 0)],
    ['eq', eq, (x, y) => (x === y ? 1 : 0)],
  ];
  test.each(cases)('%s', (_, as, bs, out) => {
    for (const [name, op, fn] of ops) {
      const a = r(as);
      const b = name === 'div' ? r(bs, 0.5, 2) : r(bs);
      const y = op(a, b);
      expect(y.shape).toEqual(out);
      // One float32 rounding of the exact result: within half an ulp (rtol 2^-24 ~ 6e-8, doubled for margin).
      expectClose(values(y), broadcastRef(a, b, out, fn), 0, 1.2e-7, `${name} ${as} ${bs}`);
    }
  });

  test('strided (transposed, sliced) operands read the right elements', () => {
    const a = r([6, 5]).T;
    const b = r([5, 12]).slice(1, 0, 12, 2);
    expectClose(values(add(a, b)), broadcastRef(a, b, [5, 6], (x, y) => x + y), 0, 1.2e-7, 'strided add');
  });

  test('scalar operands, pow, clamp, where', () => {
    const x = r([11], 0.5, 2);
    const xs = values(x);
    // affine kernels: x*alpha+beta with one fused rounding; rtol 2.4e-7 (two roundings at most).
    expectClose(values(x.add(3)), xs.map((v) => v + 3), 0, 2.4e-7, 'add scalar');
    expectClose(values(x.div(3)), xs.map((v) => v / 3), 0, 2.4e-7, 'div scalar');
    // powScalar uses exp/log polynomials: rtol 1e-6.
    expectClose(values(pow(x, 1.5)), xs.map((v) => v ** 1.5), 1e-7, 1e-6, 'pow 1.5');
    expectClose(values(pow(x, 2)), xs.map((v) => v * v), 0, 1.2e-7, 'pow 2');
    expectClose(values(x.clamp(0.8, 1.5)), xs.map((v) => Math.min(1.5, Math.max(0.8, v))), 0, 0, 'clamp');
    const c = ge(x, 1);
    expectClose(values(where(c, x, 0)), xs.map((v) => (v >= 1 ? v : 0)), 0, 0, 'where');
  });

  test('unary maps', () => {
    const x = r([3, 37], -4, 4);
    const xs = values(x);
    const erf = (z: number): number => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|z| < 4 here).
      let sum = 0;
      let term = z;
      for (let n = 0; n < 200; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const refs: [string, Tensor, (v: number) => number][] = [
      ['exp', x.exp(), Math.exp], ['tanh', x.tanh(), Math.tanh], ['sigmoid', x.sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
      ['relu', x.relu(), (v) => Math.max(0, v)], ['abs', x.abs(), Math.abs], ['neg', x.neg(), (v) => -v],
      ['gelu', x.gelu(), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))], ['silu', x.silu(), (v) => v / (1 + Math.exp(-v))],
      ['leakyRelu', x.leakyRelu(0.1), (v) => (v > 0 ? v : 0.1 * v)],
    ];
    // Vectorised polynomial approximations: within a few ulp; atol 1e-6 covers values near 0.
    for (const [name, y, fn] of refs) expectClose(values(y), xs.map(fn), 1e-6, 2e-6, name);
    const p = r([17], 0.01, 5);
    expectClose(values(p.log()), values(p).map(Math.log), 1e-6, 2e-6, 'log');
    expectClose(values(p.sqrt()), values(p).map(Math.sqrt), 0, 1.2e-7, 'sqrt');
  });
});

/** float64 reduction over `dims` of a tensor. */
function reduceRef(x: Tensor, dims: number[], fn: (vals: number[]) => number): number[] {
  const out = x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  const n = out.reduce((p, q) => p * q, 1);
  const groups: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < x.numel; i++) {
    const idx = unravel(i, x.shape);
    const o = idx.map((v, d) => (dims.includes(d) ? 0 : v));
    let flat = 0;
    for (let d = 0; d < o.length; d++) flat = flat * out[d] + o[d];
    groups[flat].push(at(x, idx));
  }
  return groups.map(fn);
}

describe('reductions', () => {
  const sumOf = (v: number[]): number => v.reduce((a, b) => a + b, 0);
  test.each([
    [[7, 5, 3], [1]], [[7, 5, 3], [0, 2]], [[2, 3, 4], [0, 1, 2]], [[1, 13], [0]], [[4, 0, 3], [1]], [[6], [0]],
  ])('shape %j over dims %j', (shape, dims) => {
    const x = r(shape);
    // Double accumulation then one rounding: rtol 1e-6 and atol 1e-6 for sums near 0.
    expectClose(values(x.sum(dims)), reduceRef(x, dims, sumOf), 1e-6, 1e-6, 'sum');
    expect(x.sum(dims, { keepdim: true }).shape).toEqual(shape.map((s, i) => (dims.includes(i) ? 1 : s)));
    if (shape.every((s) => s > 0)) {
      expectClose(values(x.mean(dims)), reduceRef(x, dims, (v) => sumOf(v) / v.length), 1e-6, 1e-6, 'mean');
      expectClose(values(x.max(dims)), reduceRef(x, dims, (v) => Math.max(...v)), 0, 0, 'max');
      expectClose(values(x.min(dims)), reduceRef(x, dims, (v) => Math.min(...v)), 0, 0, 'min');
      const varRef = (v: number[]): number => {
        const m = sumOf(v) / v.length;
        return sumOf(v.map((q) => (q - m) ** 2)) / (v.length - 1);
      };
      // Composite of mean, sub, mul, sum: a few float32 roundings, rtol 1e-5.
      if (dims.reduce((p, d) => p * shape[d], 1) > 1) expectClose(values(x.var(dims)), reduceRef(x, dims, varRef), 1e-6, 1e-5, 'var');
    }
  });

  test('argmax and argmin: along a dim and flattened, first index on ties', () => {
    const x = tensor([[1, 5, 5], [7, 0, 7]]);
    expect(x.argmax(1).toArray()).toEqual([1, 0]);
    expect(x.argmin(0).toArray()).toEqual([0, 1, 0]);
    expect(x.argmax().item()).toBe(3);
    expect(x.argmax(1, { keepdim: true }).shape).toEqual([2, 1]);
    expect(x.argmax().dtype).toBe('int32');
    expect(() => zeros([0]).max()).toThrow(/zero-size/);
  });

  test('softmax and logSoftmax along inner and middle dims', () => {
    for (const dim of [1, 2]) {
      const x = r([3, 7, 5], -5, 5);
      const lse = reduceRef(x, [dim], (v) => {
        const m = Math.max(...v);
        return m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0));
      });
      const shape = x.shape.map((s, i) => (i === dim ? 1 : s));
      const ref = Array.from({ length: x.numel }, (_, i) => {
        const idx = unravel(i, x.shape);
        const o = idx.map((v, d) => (d === dim ? 0 : v));
        let flat = 0;
        for (let d = 0; d < o.length; d++) flat = flat * shape[d] + o[d];
        return at(x, idx) - lse[flat];
      });
      // exp/log polynomial paths: rtol 2e-6, atol 1e-6.
      expectClose(values(x.logSoftmax(dim)), ref, 1e-6, 2e-6, `logSoftmax ${dim}`);
      expectClose(values(x.softmax(dim)), ref.map(Math.exp), 1e-6, 2e-6, `softmax ${dim}`);
    }
  });
});

function matmulRef(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.ndim - 1];
  const ab = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const nd = Math.max(ab.length, bb.length);
  const batch = Array.from({ length: nd }, (_, i) => Math.max(ab[i - nd + ab.length] ?? 1, bb[i - nd + bb.length] ?? 1));
  const nb = batch.reduce((p, q) => p * q, 1);
  const out: number[] = [];
  for (let bi = 0; bi < nb; bi++) {
    const bidx = unravel(bi, batch);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += at(a, [...bidx, i, q]) * at(b, [...bidx, q, j]);
        out.push(s);
      }
    }
  }
  return out;
}

describe('matmul', () => {
  test.each([
    [[1, 1], [1, 1]], [[7, 13], [13, 5]], [[17, 3], [3, 31]], [[4, 0], [0, 3]], [[0, 5], [5, 2]],
    [[2, 5, 7], [7, 3]], [[3, 1, 4, 6], [2, 6, 5]],
  ])('%j @ %j', (as, bs) => {
    const a = r(as);
    const b = r(bs);
    // float32 FMA accumulation over K: error grows like K * 2^-24; atol 1e-5, rtol 1e-5.
    expectClose(values(matmul(a, b)), matmulRef(a, b), 1e-5, 1e-5, 'matmul');
  });
  test('transposed and sliced operands go through GEMM strides', () => {
    const a = r([9, 6]).T;
    const b = r([4, 9]).T;
    expectClose(values(matmul(a, b)), matmulRef(a, b), 1e-5, 1e-5, 'transposed');
    const c = r([3, 10, 8]).slice(2, 0, 8, 2).transpose(1, 2);
    const d = r([10, 3]);
    expectClose(values(matmul(c, d)), matmulRef(c, d), 1e-5, 1e-5, 'strided batch');
    expect(matmul(tensor([1, 2]), tensor([3, 4])).item()).toBe(11);
  });
  test('transposed operands and a shared weight cost no copy: one allocation, the output', () => {
    const a = r([6, 9]);
    const b = r([4, 6]);
    const x = r([2, 3, 5]);
    const w = r([7, 5]);
    const allocations = (): number => memoryStats().totalAllocations;
    let start = allocations();
    matmul(a.T, b.T);
    expect(allocations() - start).toBe(1);
    start = allocations();
    matmul(x, w.T);
    expect(allocations() - start).toBe(1);
  });
});

describe('indexing', () => {
  test('indexSelect, gather, embedding, oneHot', () => {
    const x = arange(12).reshape(3, 4);
    expect(x.indexSelect(0, tensor([2, 0], { dtype: 'int32' })).toArray()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3]]);
    expect(x.indexSelect(1, tensor([3n, 3n])).toArray()).toEqual([[3, 3], [7, 7], [11, 11]]);
    expect(x.gather(1, tensor([[0], [3], [1]], { dtype: 'int32' })).toArray()).toEqual([[0], [7], [9]]);
    expect(() => x.indexSelect(0, tensor([3], { dtype: 'int32' }))).toThrow(/indexSelect/);
    expect(F.embedding(x, tensor([[1]], { dtype: 'int32' })).shape).toEqual([1, 1, 4]);
    expect(F.oneHot(tensor([0, 2], { dtype: 'int32' }), 3).toArray()).toEqual([[1, 0, 0], [0, 0, 1]]);
  });
});

/** Direct float64 convolution. */
function conv2dRef(x: Tensor, w: Tensor, bias: Tensor | null, stride: number, pad: number, dil: number, groups: number): number[] {
  const [n, c, h, wd] = x.shape;
  const [k, cg, kr, ks] = w.shape;
  const p = Math.floor((h + 2 * pad - dil * (kr - 1) - 1) / stride) + 1;
  const q = Math.floor((wd + 2 * pad - dil * (ks - 1) - 1) / stride) + 1;
  const kg = k / groups;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++) for (let ki = 0; ki < k; ki++) for (let pi = 0; pi < p; pi++) for (let qi = 0; qi < q; qi++) {
    let s = bias ? at(bias, [ki]) : 0;
    const g = Math.floor(ki / kg);
    for (let ci = 0; ci < cg; ci++) for (let ri = 0; ri < kr; ri++) for (let si = 0; si < ks; si++) {
      const hi = pi * stride - pad + ri * dil;
      const wi = qi * stride - pad + si * dil;
      if (hi >= 0 && hi < h && wi >= 0 && wi < wd) s += at(x, [ni, g * cg + ci, hi, wi]) * at(w, [ki, ci, ri, si]);
    }
    out.push(s);
  }
  expect(c).toBe(cg * groups);
  return out;
}

describe('functional', () => {
  test('conv2d and linear', () => {
    const x = r([2, 4, 7, 6]);
    const w = r([6, 2, 3, 3]);
    const b = r([6]);
    // im2col + GEMM in float32 over C*R*S = 18 terms: atol 1e-5.
    expectClose(values(F.conv2d(x, w, b, { padding: 1, groups: 2 })), conv2dRef(x, w, b, 1, 1, 1, 2), 1e-5, 1e-5, 'conv grouped');
    const w2 = r([3, 4, 2, 2]);
    expectClose(values(F.conv2d(x, w2, null, { stride: 2, dilation: 2 })), conv2dRef(x, w2, null, 2, 0, 2, 1), 1e-5, 1e-5, 'conv strided');
    expect(() => F.conv2d(x, r([6, 3, 3, 3]))).toThrow(/conv2d: input \[2, 4, 7, 6\] and weight \[6, 3, 3, 3\] do not match/);
    const xl = r([5, 3]);
    const wl = r([2, 3]);
    const bl = r([2]);
    const ref = matmulRef(xl, wl.T).map((v, i) => v + at(bl, [i % 2]));
    expectClose(values(F.linear(xl, wl, bl)), ref, 1e-6, 1e-6, 'linear');
  });

  test('pooling', () => {
    const x = r([1, 2, 5, 5]);
    const mp = F.maxPool2d(x, 2);
    expect(mp.shape).toEqual([1, 2, 2, 2]);
    expect(mp.index(0, 1, 1, 0).item()).toBe(Math.max(at(x, [0, 1, 2, 0]), at(x, [0, 1, 2, 1]), at(x, [0, 1, 3, 0]), at(x, [0, 1, 3, 1])));
    expect(F.maxPool2d(x, 2, { ceilMode: true }).shape).toEqual([1, 2, 3, 3]);
    const ap = F.avgPool2d(x, 3, { stride: 2, padding: 1 });
    // Corner window with count_include_pad: 4 inputs over 9 cells.
    const corner = (at(x, [0, 0, 0, 0]) + at(x, [0, 0, 0, 1]) + at(x, [0, 0, 1, 0]) + at(x, [0, 0, 1, 1])) / 9;
    expect(ap.index(0, 0, 0, 0).item()).toBeCloseTo(corner, 6);
    const g = F.adaptiveAvgPool2d(x, 1);
    expectClose(values(g), reduceRef(x, [2, 3], (v) => v.reduce((a, b) => a + b, 0) / v.length), 1e-6, 1e-6, 'global avg');
  });

  test('batchNorm training updates running stats; eval uses them; layerNorm', () => {
    const x = r([4, 3, 2, 2], -2, 3);
    const rm = zeros([3]);
    const rv = zeros([3]).add(1);
    const y = F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.1 });
    const stats = reduceRef(x, [0, 2, 3], (v) => v.reduce((a, b) => a + b, 0) / v.length);
    const vars = reduceRef(x, [0, 2, 3], (v) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
    });
    // Double statistics, float32 output: atol 1e-5.
    expectClose(values(rm), stats.map((m) => 0.1 * m), 1e-6, 1e-5, 'running mean');
    expectClose(values(rv), vars.map((v) => 0.9 + 0.1 * v * 16 / 15), 1e-6, 1e-5, 'running var (unbiased)');
    const ref = Array.from({ length: x.numel }, (_, i) => {
      const idx = unravel(i, x.shape);
      return (at(x, idx) - stats[idx[1]]) / Math.sqrt(vars[idx[1]] + 1e-5);
    });
    expectClose(values(y), ref, 1e-5, 1e-5, 'batchNorm train');
    const ye = F.batchNorm(x, rm, rv, null, null, { training: false });
    const refEval = Array.from({ length: x.numel }, (_, i) => {
      const idx = unravel(i, x.shape);
      return (at(x, idx) - at(rm, [idx[1]])) / Math.sqrt(at(rv, [idx[1]]) + 1e-5);
    });
    expectClose(values(ye), refEval, 1e-5, 1e-5, 'batchNorm eval');
    const z = r([3, 7]);
    const mu = reduceRef(z, [1], (v) => v.reduce((a, b) => a + b, 0) / v.length);
    const sd = reduceRef(z, [1], (v) => Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length - (v.reduce((a, b) => a + b, 0) / v.length) ** 2 + 1e-5));
    const lref = Array.from({ length: 21 }, (_, i) => (at(z, unravel(i, [3, 7])) - mu[Math.floor(i / 7)]) / sd[Math.floor(i / 7)]);
    expectClose(values(F.layerNorm(z, [7])), lref, 1e-5, 1e-5, 'layerNorm');
  });

  test('losses against float64 formulas', () => {
    const logits = r([5, 4], -3, 3);
    const labels = [3, 0, 1, -100, 2];
    const t = tensor(Int32Array.from(labels), { shape: [5] });
    const w = [0.5, 1, 2, 1.5];
    const logp = (i: number, c: number): number => {
      const row = [0, 1, 2, 3].map((j) => at(logits, [i, j]));
      const m = Math.max(...row);
      return row[c] - m - Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
    };
    let num = 0;
    let den = 0;
    labels.forEach((c, i) => {
      if (c === -100) return;
      const smooth = [0, 1, 2, 3].reduce((a, j) => a + w[j] * -logp(i, j), 0) * (0.2 / 4);
      num += 0.8 * w[c] * -logp(i, c) + smooth;
      den += w[c];
    });
    // Fused log-softmax in double per row: rtol 1e-6.
    const ce = F.crossEntropy(logits, t, { weight: tensor(w), labelSmoothing: 0.2 });
    expect(ce.item()).toBeCloseTo(num / den, 5);
    const nll = F.nllLoss(logits.logSoftmax(1), t, { reduction: 'sum' });
    const nllRef = labels.reduce((a, c, i) => (c === -100 ? a : a - logp(i, c)), 0);
    expect(nll.item()).toBeCloseTo(nllRef, 4);
    const a = r([3, 4]);
    const b = r([3, 4]);
    const mse = broadcastRef(a, b, [3, 4], (p, q) => (p - q) ** 2).reduce((s, v) => s + v, 0) / 12;
    expect(F.mseLoss(a, b).item()).toBeCloseTo(mse, 6);
    const y = r([3, 4], 0, 1);
    const bce = broadcastRef(a, y, [3, 4], (x, yy) => Math.max(x, 0) - x * yy + Math.log1p(Math.exp(-Math.abs(x)))).reduce((s, v) => s + v, 0) / 12;
    expect(F.binaryCrossEntropyWithLogits(a, y).item()).toBeCloseTo(bce, 6);
    expect(() => F.crossEntropy(logits, tensor([9, 0, 0, 0, 0], { dtype: 'int32' }))).toThrow(/target 9 at sample 0/);
  });

  test('dropout: seeded, scaled, identity in eval', () => {
    const x = zeros([10000]).add(1);
    const a = F.dropout(x, 0.3, { seed: 4 });
    const b = F.dropout(x, 0.3, { seed: 4 });
    expect(values(a)).toEqual(values(b));
    const kept = values(a).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    // 10,000 Bernoulli(0.7) draws: the kept fraction is 0.7 ± 0.0046 (1 sd); 5 sd bound.
    expect(Math.abs(kept.length / 10000 - 0.7)).toBeLessThan(0.023);
    expect(F.dropout(x, 0.3, { training: false })).toBe(x);
  });
});

describe('dtype and edge cases', () => {
  test('int64 indices, bool and uint8 conditions, zero-size batches', () => {
    const x = arange(6).reshape(2, 3);
    expect(x.gather(1, tensor([[2n], [0n]])).toArray()).toEqual([[2], [3]]);
    expect(where(tensor([true, false, true]), tensor([1, 2, 3]), -1).toArray()).toEqual([1, -1, 3]);
    expect(where(tensor([0, 7], { dtype: 'uint8' }), 1, 0).toArray()).toEqual([0, 1]);
    expect(matmul(zeros([0, 2, 3]), zeros([3, 4])).shape).toEqual([0, 2, 4]);
    expect(zeros([2, 0]).sum(1).toArray()).toEqual([0, 0]);
    expect(() => x.indexSelect(0, tensor([0.5]))).toThrow(/indices must be int32 or int64 \(got float32/);
  });

  test('in-place helpers', async () => {
    const { copyInto, fillInPlace, affineInPlace, binaryInPlace, noGrad } = await import('@graft/core');
    const t = zeros([2, 3]);
    copyInto(t, tensor([1, 2, 3]));
    expect(t.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    affineInPlace(t, 2, 1);
    expect(t.toArray()).toEqual([[3, 5, 7], [3, 5, 7]]);
    binaryInPlace('mul', t, tensor([[1], [0]]));
    expect(t.toArray()).toEqual([[3, 5, 7], [0, 0, 0]]);
    fillInPlace(t, 4);
    expect(t.sum().item()).toBe(24);
    const ints = zeros([2], { dtype: 'int32' });
    noGrad(() => copyInto(ints, tensor([2.9, -1.5])));
    expect(ints.toArray()).toEqual([2, -1]);
    expect(() => binaryInPlace('add', zeros([3]), zeros([2, 3]))).toThrow(/cannot broadcast \[2, 3\] into the in-place target \[3\]/);
  });

  test('tidy refuses async functions and frees what they made', async () => {
    const { tidy } = await import('@graft/core');
    let made: Tensor | undefined;
    expect(() => tidy(() => {
      made = zeros([3]);
      return Promise.resolve(1);
    })).toThrow(/must be synchronous/);
    expect(made?.isDisposed).toBe(true);
  });
});
