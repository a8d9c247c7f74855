import { afterAll, describe, expect, it } from 'vitest';
import {
  binary, capabilities, castFloat32ToInt32, castToFloat32, setIsa, setNumThreads, getNumThreads, stridedCopy,
  stridedCopyInt32, unary, unaryBackward, where, type BinaryOp, type UnaryOp, type UnaryParams,
} from '@graft/native';
import { expectClose, randomArray, seededRandom } from './helpers.js';

/** Bit-for-bit equality (NaN payloads included), fast on large arrays. */
function expectSameBits(actual: Float32Array | Int32Array, expected: Float32Array | Int32Array, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = a.findIndex((v, k) => v !== e[k]);
  if (i >= 0) expect.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
}

const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);
// Sizes: empty, 1, primes, around the 8-lane width, and past the 32768-element task grain (threads).
const sizes = [0, 1, 7, 8, 9, 31, 257, 70001];

// ---- float64 models of every unary op (the references are checked against them too) ----------
/** erfc in float64: Maclaurin series of erf for |z| < 3 (terms peak near e^9: ~1e-12 absolute left),
 * the continued fraction beyond (no cancellation in the tail, where gelu(x < 0) lives). */
function erfc(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - Math.sign(z) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (a + f);
  const tail = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  return z > 0 ? tail : 2 - tail;
}
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const model: Record<UnaryOp, (x: number, p: Required<UnaryParams>) => number> = {
  neg: (x) => -x, abs: Math.abs, relu: (x) => Math.max(x, 0), leakyRelu: (x, p) => (x > 0 ? x : p.alpha * x),
  gelu: (x) => 0.5 * x * erfc(-x / Math.SQRT2),
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x * sigmoid(x), sigmoid, tanh: Math.tanh, exp: Math.exp, log: Math.log, sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x), square: (x) => x * x, reciprocal: (x) => 1 / x, sign: Math.sign,
  clamp: (x, p) => Math.min(Math.max(x, p.min), p.max), affine: (x, p) => p.alpha * x + p.beta,
  powScalar: (x, p) => x ** p.exponent,
};

// Inputs per op: the domain where it is defined, wide enough to reach its saturating tails.
// Tolerances (cpu vs the float64-accumulating reference): exact ops must match to the bit; the
// transcendental ones use float libm or the AVX2 polynomials (exp/tanh ~2-3 ulp, erf |err| < 1.5e-7
// absolute, scaled by |x|/2 in gelu), hence rtol 2e-6 and an atol that covers the erf bound.
interface Case { op: UnaryOp; lo: number; hi: number; params?: UnaryParams; tol: { atol: number; rtol: number } }
const exact = { atol: 0, rtol: 0 };
const transcendental = { atol: 1e-6, rtol: 2e-6 };
const cases: Case[] = [
  { op: 'neg', lo: -5, hi: 5, tol: exact }, { op: 'abs', lo: -5, hi: 5, tol: exact },
  { op: 'relu', lo: -5, hi: 5, tol: exact }, { op: 'leakyRelu', lo: -5, hi: 5, params: { alpha: 0.2 }, tol: exact },
  { op: 'gelu', lo: -8, hi: 8, tol: { atol: 2e-6, rtol: 2e-6 } }, { op: 'geluTanh', lo: -8, hi: 8, tol: transcendental },
  { op: 'silu', lo: -20, hi: 20, tol: transcendental }, { op: 'sigmoid', lo: -20, hi: 20, tol: transcendental },
  { op: 'tanh', lo: -10, hi: 10, tol: transcendental }, { op: 'exp', lo: -30, hi: 30, tol: { atol: 0, rtol: 4e-7 } },
  { op: 'log', lo: 1e-3, hi: 100, tol: { atol: 0, rtol: 4e-7 } }, { op: 'sqrt', lo: 0, hi: 100, tol: exact },
  { op: 'rsqrt', lo: 1e-3, hi: 100, tol: { atol: 0, rtol: 2.5e-7 } }, { op: 'square', lo: -5, hi: 5, tol: exact },
  { op: 'reciprocal', lo: 0.01, hi: 5, tol: exact }, { op: 'sign', lo: -1, hi: 1, tol: exact },
  { op: 'clamp', lo: -3, hi: 3, params: { min: -1, max: 0.5 }, tol: exact },
  { op: 'affine', lo: -3, hi: 3, params: { alpha: 1.5, beta: -0.25 }, tol: { atol: 1e-7, rtol: 1e-7 } },
  { op: 'powScalar', lo: 0.01, hi: 4, params: { exponent: 2.5 }, tol: { atol: 0, rtol: 4e-7 } },
];
// The kernels read their scalars as float32; the model does too.
const fullParams = (c: Case): Required<UnaryParams> => ({
  alpha: Math.fround(c.params?.alpha ?? (c.op === 'leakyRelu' ? 0.01 : 1)), beta: Math.fround(c.params?.beta ?? 0),
  min: c.params?.min ?? -Infinity, max: c.params?.max ?? Infinity, exponent: Math.fround(c.params?.exponent ?? 1),
});

describe.each(isas)('unary (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const c of cases) {
    it(`${c.op}: cpu matches the reference on every size, in place too`, () => {
      setIsa(isa);
      for (const n of sizes) {
        const x = randomArray(n, seededRandom(n + 11), c.lo, c.hi);
        const y = new Float32Array(n), yRef = new Float32Array(n);
        unary(c.op, x, y, c.params);
        unary(c.op, x, yRef, c.params, 'ref');
        expectClose(y, yRef, c.tol, `${c.op} n=${n}`);
        const inPlace = x.slice();
        unary(c.op, inPlace, inPlace, c.params);
        expectSameBits(inPlace, y, `${c.op} in place n=${n}`);
      }
    });

    it(`${c.op}: reference matches a float64 model; backward matches it and finite differences`, () => {
      setIsa(isa);
      const n = 301;
      const x = randomArray(n, seededRandom(5), c.lo, c.hi);
      const p = fullParams(c);
      const y = new Float32Array(n);
      unary(c.op, x, y, c.params, 'ref');
      // the reference rounds a float64 result once: within half an ulp of the model
      expectClose(y, Array.from(x, (v) => Math.fround(model[c.op](v, p))), { atol: 1e-30, rtol: 1e-7 }, `${c.op} ref`);
      const dy = randomArray(n, seededRandom(6), -1, 1);
      const dx = new Float32Array(n), dxRef = new Float32Array(n);
      unaryBackward(c.op, x, y, dy, dx, c.params);
      unaryBackward(c.op, x, y, dy, dxRef, c.params, 'ref');
      // backward cpu vs ref: float formulas on float y, a few ulp of each factor
      expectClose(dx, dxRef, { atol: 2e-6, rtol: 1e-5 }, `${c.op} backward cpu vs ref`);
      // central differences of the float64 model, h = 1e-4 * max(1, |x|): truncation ~h^2 f''' and
      // cancellation ~1e-16/h, both far below the float32 rounding of the kernel (rtol 1e-5).
      const fd = Array.from(x, (v, i) => {
        const h = 1e-4 * Math.max(1, Math.abs(v));
        return (dy[i] as number) * (model[c.op](v + h, p) - model[c.op](v - h, p)) / (2 * h);
      });
      // points closer than h to a kink have no derivative to compare
      const kinks = c.op === 'clamp' ? [p.min, p.max] : ['abs', 'relu', 'leakyRelu', 'sign'].includes(c.op) ? [0] : [];
      const keep = (i: number): boolean => kinks.every((k) => Math.abs((x[i] as number) - k) > 1e-3);
      const idx = Array.from({ length: n }, (_, i) => i).filter(keep);
      expectClose(idx.map((i) => dxRef[i] as number), idx.map((i) => fd[i] as number), { atol: 1e-5, rtol: 1e-4 }, `${c.op} fd`);
    });
  }

  it('special values: NaN propagates through relu and clamp, exp overflows to inf and underflows to 0', () => {
    setIsa(isa);
    const x = Float32Array.from([NaN, -Infinity, Infinity, 100, -200, 0, -0.0, 1, NaN]);
    for (const op of ['relu', 'clamp', 'exp', 'tanh', 'sigmoid', 'gelu', 'silu'] as const) {
      const y = new Float32Array(x.length), yRef = new Float32Array(x.length);
      unary(op, x, y, { min: -1, max: 1 });
      unary(op, x, yRef, { min: -1, max: 1 }, 'ref');
      // exact for the non-finite and saturated lanes; 1e-6 for the rest (see the tolerance note above)
      expectClose(y, yRef, { atol: 1e-6, rtol: 1e-6 }, `${op} special`);
    }
  });
});

// ---- binary and where --------------------------------------------------------------------------
interface View { data: Float32Array; offset: number; strides: number[] }

/** A random view of `shape`: contiguous, broadcast on `broadcastDims`, or with its dims reversed in memory
 * (transposed) and/or walked backwards (negative strides through the offset). */
function makeView(shape: number[], rand: () => number, mode: 'plain' | 'transposed' | 'reversed', broadcast: number[] = [], lo = -2, hi = 2): View {
  const real = shape.map((s, d) => (broadcast.includes(d) ? 1 : s));
  const count = real.reduce((a, b) => a * b, 1);
  const data = randomArray(count + 3, rand, lo, hi);
  const strides = new Array<number>(shape.length).fill(0);
  const order = mode === 'transposed' ? real.map((_, d) => d) : real.map((_, d) => real.length - 1 - d);
  let step = 1;
  for (const d of order) { strides[d] = step; step *= real[d] as number; }
  let offset = 2;
  if (mode === 'reversed') {
    for (let d = 0; d < shape.length; d++) {
      offset += ((real[d] as number) - 1) * (strides[d] as number);
      strides[d] = -(strides[d] as number);
    }
  }
  shape.forEach((_, d) => { if (broadcast.includes(d)) strides[d] = 0; });
  return { data, offset: count === 0 ? 0 : offset, strides };
}

const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const shapes3: Array<{ shape: number[]; a: number[]; b: number[] }> = [
  { shape: [3, 5, 7], a: [], b: [] }, { shape: [3, 5, 7], a: [], b: [0] }, { shape: [3, 5, 7], a: [], b: [1] },
  { shape: [3, 5, 7], a: [], b: [2] }, { shape: [3, 5, 7], a: [0, 2], b: [1] }, { shape: [3, 5, 7], a: [], b: [0, 1, 2] },
  { shape: [129, 33], a: [], b: [0] }, { shape: [1], a: [], b: [] }, { shape: [4, 0, 3], a: [], b: [] },
  { shape: [70001], a: [], b: [] }, { shape: [300, 257], a: [], b: [0] }, { shape: [2, 1, 3, 1, 2, 3, 1, 2], a: [], b: [3, 6] },
];

describe.each(isas)('binary and where (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const op of binaryOps) {
    it(`${op}: cpu matches the reference for contiguous, broadcast, transposed and reversed views`, () => {
      setIsa(isa);
      const rand = seededRandom(op.length * 97);
      for (const { shape, a: aBroadcast, b: bBroadcast } of shapes3) {
        for (const mode of ['plain', 'transposed', 'reversed'] as const) {
          const [lo, hi] = op === 'pow' ? [0.1, 3] : [-2, 2];
          const a = makeView(shape, rand, mode, aBroadcast, lo, hi);
          const b = makeView(shape, rand, mode === 'transposed' ? 'plain' : mode, bBroadcast);
          if (op.length === 2) b.data.forEach((_, i) => { if (i % 3 === 0) b.data[i] = a.data[i % a.data.length] as number; });
          const count = shape.reduce((x, y) => x * y, 1);
          const out = new Float32Array(count), outRef = new Float32Array(count);
          binary(op, shape, a.data, a.offset, a.strides, b.data, b.offset, b.strides, out);
          binary(op, shape, a.data, a.offset, a.strides, b.data, b.offset, b.strides, outRef, 'ref');
          // +,-,*,/ in float equal the double result rounded once, so these are bit-exact;
          // pow uses powf against a double pow: 1 ulp.
          expectClose(out, outRef, op === 'pow' ? { atol: 0, rtol: 2.4e-7 } : exact, `${op} ${JSON.stringify(shape)} ${mode}`);
        }
      }
    });
  }

  it('maximum and minimum propagate NaN; comparisons with NaN are false except ne', () => {
    setIsa(isa);
    const a = Float32Array.from([NaN, 1, NaN, 2, 3, 4, 5, 6, 7]);
    const b = Float32Array.from([1, NaN, NaN, 1, 3, 5, 5, 7, NaN]);
    const run = (op: BinaryOp): number[] => {
      const out = new Float32Array(9);
      binary(op, [9], a, 0, [1], b, 0, [1], out);
      return Array.from(out);
    };
    expect(run('maximum')).toEqual([NaN, NaN, NaN, 2, 3, 5, 5, 7, NaN]);
    expect(run('minimum')).toEqual([NaN, NaN, NaN, 1, 3, 4, 5, 6, NaN]);
    expect(run('eq')).toEqual([0, 0, 0, 0, 1, 0, 1, 0, 0]);
    expect(run('ne')).toEqual([1, 1, 1, 1, 0, 1, 0, 1, 1]);
    expect(run('lt')).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0]);
  });

  it('where picks a where cond != 0, with every operand broadcast in turn', () => {
    setIsa(isa);
    const rand = seededRandom(3);
    const shape = [4, 3, 5];
    for (const [cb, ab, bb] of [[[], [], []], [[0], [1], [2]], [[1, 2], [], [0, 1, 2]], [[2], [0, 1], []]] as number[][][]) {
      const cond = makeView(shape, rand, 'reversed', cb);
      cond.data.forEach((v, i) => { cond.data[i] = v > 0 ? 1 : 0; });
      const a = makeView(shape, rand, 'transposed', ab), b = makeView(shape, rand, 'plain', bb);
      const out = new Float32Array(60), outRef = new Float32Array(60);
      where(shape, cond.data, cond.offset, cond.strides, a.data, a.offset, a.strides, b.data, b.offset, b.strides, out);
      where(shape, cond.data, cond.offset, cond.strides, a.data, a.offset, a.strides, b.data, b.offset, b.strides, outRef, 'ref');
      expectSameBits(out, outRef, 'where');  // a selection: exact
    }
  });
});

describe('stridedCopy and casts', () => {
  it('copies views to contiguous, into slices, reversed and transposed, float and int32, like the reference', () => {
    const rand = seededRandom(21);
    // [67, 45] and [33, 32] transposed take the tiled path (both sides >= 32); the 32-tile edges are partial
    for (const shape of [[5, 7], [3, 4, 5], [1], [0, 3], [2, 3, 1, 4, 5, 1, 2, 3], [70001], [67, 45], [33, 32]]) {
      for (const mode of ['plain', 'transposed', 'reversed'] as const) {
        const src = makeView(shape, rand, mode);
        const count = shape.reduce((x, y) => x * y, 1);
        // dst: a slice of a larger buffer, every dim padded by one
        const dstShape = shape.map((s) => s + 1);
        const dstStrides = dstShape.map((_, d) => dstShape.slice(d + 1).reduce((x, y) => x * y, 1));
        const size = dstShape.reduce((x, y) => x * y, 1) + 1;
        const dst = new Float32Array(size).fill(-7), dstRef = new Float32Array(size).fill(-7);
        stridedCopy(shape, src.data, src.offset, src.strides, dst, 1, dstStrides);
        stridedCopy(shape, src.data, src.offset, src.strides, dstRef, 1, dstStrides, 'ref');
        expectSameBits(dst, dstRef, `${JSON.stringify(shape)} ${mode}`);
        const ints = Int32Array.from(src.data, (v) => Math.round(v * 1000));
        const dstInt = new Int32Array(count), dstIntRef = new Int32Array(count);
        const contiguous = shape.map((_, d) => shape.slice(d + 1).reduce((x, y) => x * y, 1));
        stridedCopyInt32(shape, ints, src.offset, src.strides, dstInt, 0, contiguous);
        stridedCopyInt32(shape, ints, src.offset, src.strides, dstIntRef, 0, contiguous, 'ref');
        expectSameBits(dstInt, dstIntRef, `int32 ${JSON.stringify(shape)} ${mode}`);
      }
    }
    // batched transpose (tiled path): src stored (2, 33, 50), copied as (2, 50, 33)
    const batch = randomArray(2 * 33 * 50, rand);
    const bt = new Float32Array(3300), btRef = new Float32Array(3300);
    stridedCopy([2, 50, 33], batch, 0, [1650, 1, 50], bt, 0, [1650, 33, 1]);
    stridedCopy([2, 50, 33], batch, 0, [1650, 1, 50], btRef, 0, [1650, 33, 1], 'ref');
    expectSameBits(bt, btRef, 'batched transpose');
    expect(bt[1650 + 33 * 7 + 5]).toBe(batch[1650 + 50 * 5 + 7]);
    const dst = new Float32Array(6);
    stridedCopy([3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]), 0, [1, 3], dst, 0, [2, 1]);
    expect(Array.from(dst)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('casts bytes and ints to float with a scale, and floats to int32 by truncation', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    const f = new Float32Array(300), fRef = new Float32Array(300);
    castToFloat32(bytes, f, 1 / 255);
    castToFloat32(bytes, fRef, 1 / 255, 'ref');
    expect(f).toEqual(fRef);
    expect(f[7]).toBeCloseTo(((7 * 37) % 256) / 255, 6);
    const ints = Int32Array.from([0, -5, 2147483647, -2147483648, 12345]);
    const g = new Float32Array(5);
    castToFloat32(ints, g);
    expect(Array.from(g)).toEqual([0, -5, 2147483648, -2147483648, 12345]);
    const out = new Int32Array(8), outRef = new Int32Array(8);
    const src = Float32Array.from([-1.7, 2.9, -0.5, 0, NaN, 3e9, -3e9, 16777216]);
    castFloat32ToInt32(src, out);
    castFloat32ToInt32(src, outRef, 'ref');
    expect(Array.from(out)).toEqual([-1, 2, 0, 0, 0, 2147483647, -2147483648, 16777216]);
    expect(out).toEqual(outRef);
  });
});

describe('elementwise bad input and threads', () => {
  it('names the op, the argument and the shapes', () => {
    const x = new Float32Array(4);
    expect(() => unary('relu', x, new Float32Array(3))).toThrow(/unary: argument 'y' has 3 elements but needs at least 4/);
    expect(() => unary('nope' as UnaryOp, x, x)).toThrow(/unary: argument 'op' is 'nope'/);
    expect(() => binary('add', [2, 3], x, 0, [3, 1], x, 0, [0, 1], new Float32Array(6)))
      .toThrow(/binary: argument 'a' \(4 elements\) cannot hold the view of shape \[2, 3\]/);
    expect(() => binary('add', [4], x, 3, [-1], x, 2, [-1], x))
      .toThrow(/binary: argument 'b' \(4 elements\) cannot hold the view of shape \[4\] with offset 2 and strides \[-1\]/);
    expect(() => binary('add', [2, 2], x, 0, [2], x, 0, [2, 1], x)).toThrow(/binary: argument 'aStrides' has 1 strides but the shape \[2, 2\] has 2 dims/);
    expect(() => binary('add', new Array<number>(9).fill(1), x, 0, new Array<number>(9).fill(0), x, 0, new Array<number>(9).fill(0), x))
      .toThrow(/binary: argument 'outShape' .* has 9 dims; at most 8/);
    expect(() => stridedCopy([2, 3], x, 0, [3, 1], new Float32Array(6), 0, [3, 1])).toThrow(/stridedCopy: argument 'src'/);
    // (2^33 + 1 - 1) * 2^31 = 2^64 would wrap to a reach of 0 in int64 and pass as a 1-element view.
    expect(() => stridedCopy([2 ** 33 + 1], x, 0, [2 ** 31], new Float32Array(1), 0, [0]))
      .toThrow(/stridedCopy: argument 'src': the view of shape \[8589934593\] with strides \[2147483648\] reaches past 2\^63 elements/);
    expect(() => castFloat32ToInt32(x, new Int32Array(2))).toThrow(/castFloat32ToInt32: argument 'dst' has 2 elements/);
  });

  it('allows exact in-place output but rejects other memory sharing', () => {
    const buf = Float32Array.from([1, 2, 3, 4, 5, 6]);
    binary('add', [2, 3], buf, 0, [3, 1], Float32Array.from([1, 1, 1]), 0, [0, 1], buf);  // in place: fine
    expect(Array.from(buf)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(() => unary('exp', buf.subarray(0, 5), buf.subarray(1))).toThrow(/unary: argument 'y' shares memory with 'x' at an offset/);
    expect(() => unaryBackward('relu', buf, buf, buf.subarray(0, 5), buf.subarray(1))).toThrow(/unaryBackward: argument 'dx' shares memory/);
    expect(Array.from(buf)).toEqual([2, 3, 4, 5, 6, 7]);
    // b = out's own first row, broadcast: rows after the first would read overwritten values
    expect(() => binary('add', [2, 3], buf, 0, [3, 1], buf, 0, [0, 1], buf)).toThrow(/binary: argument 'b' shares memory with 'out'/);
    const view = buf.subarray(1);
    expect(() => stridedCopy([5], buf, 0, [1], view, 0, [1])).toThrow(/stridedCopy: the 'src' and 'dst' views of shape \[5\] share memory/);
    expect(Array.from(buf)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('gives the same bits for 1 thread and for the pool', () => {
    const threads = getNumThreads();
    const x = randomArray(100003, seededRandom(9), -5, 5);
    const run = (): Float32Array => { const y = new Float32Array(x.length); unary('gelu', x, y); return y; };
    setNumThreads(1);
    const one = run();
    setNumThreads(Math.max(2, threads));
    expectSameBits(run(), one, 'threads');
    setNumThreads(threads);
  });
});
