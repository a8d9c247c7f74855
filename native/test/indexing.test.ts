import { describe, expect, it } from 'vitest';
import { gather, getNumThreads, indexAdd, indexSelect, oneHot, scatterAdd, setNumThreads } from '@graft/native';
import { randomArray, randomInts, seededRandom } from './helpers.js';

// (outer, n, inner, m): 1s, primes, inner past the 512-column task chunk, zero-size dims everywhere.
const shapes: Array<[number, number, number, number]> = [
  [1, 1, 1, 1], [3, 7, 5, 11], [1, 13, 1, 29], [2, 5, 600, 9], [1, 1000, 64, 3001], [0, 3, 2, 4], [2, 3, 0, 4],
  [2, 3, 4, 0], [4, 0, 3, 0],
];

/** Bit-for-bit equality, fast on large arrays. */
function expectSameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
    .equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)), label).toBe(true);
}

describe('indexSelect / indexAdd', () => {
  for (const [outer, n, inner, m] of shapes) {
    it(`match the reference exactly: outer=${outer} n=${n} inner=${inner} m=${m}`, () => {
      const rand = seededRandom(outer + n * 3 + inner * 5 + m * 7);
      const x = randomArray(outer * n * inner, rand);
      const indices = n === 0 ? new Int32Array(0) : randomInts(m, rand, n);
      const y = new Float32Array(outer * m * inner), yRef = new Float32Array(outer * m * inner);
      indexSelect(x, outer, n, inner, indices, y);
      indexSelect(x, outer, n, inner, indices, yRef, 'ref');
      expectSameBits(y, yRef, 'indexSelect');  // copies: exact
      const dy = randomArray(outer * m * inner, rand);
      const dx0 = randomArray(outer * n * inner, rand);
      const dx = dx0.slice(), dxRef = dx0.slice();
      indexAdd(dy, outer, m, inner, indices, dx);
      indexAdd(dy, outer, m, inner, indices, dxRef, 'ref');
      // both add in increasing j to the same starting value: the same float operations, bit-exact
      expectSameBits(dx, dxRef, 'indexAdd');
    });
  }

  it('indexAdd is the gradient of sum(w * indexSelect(x)) (finite differences in float64)', () => {
    const [outer, n, inner, m] = [2, 5, 3, 8];
    const rand = seededRandom(12);
    const indices = randomInts(m, rand, n);
    const w = randomArray(outer * m * inner, rand);
    const x = Float64Array.from(randomArray(outer * n * inner, rand));
    const loss = (): number => {
      let s = 0;
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < m; j++)
          for (let i = 0; i < inner; i++) s += (w[(o * m + j) * inner + i] as number) * (x[(o * n + (indices[j] as number)) * inner + i] as number);
      return s;
    };
    const dx = new Float32Array(outer * n * inner);
    indexAdd(w, outer, m, inner, indices, dx);
    x.forEach((v, k) => {
      x[k] = v + 1e-3; const up = loss();
      x[k] = v - 1e-3; const down = loss();
      x[k] = v;
      // the loss is linear in x, so the difference quotient is exact up to float64 rounding (~1e-13)
      expect(Math.abs((up - down) / 2e-3 - (dx[k] as number)), `dx[${k}]`).toBeLessThan(1e-6);
    });
  });

  it('an embedding backward with many repeated tokens has the same bits for 1 thread and for the pool', () => {
    const threads = getNumThreads();
    const rand = seededRandom(2);
    const [vocab, dim, tokens] = [50, 1024, 4000];
    const indices = randomInts(tokens, rand, vocab);
    const dy = randomArray(tokens * dim, rand);
    const run = (): Float32Array => { const dx = new Float32Array(vocab * dim); indexAdd(dy, 1, tokens, dim, indices, dx); return dx; };
    setNumThreads(1);
    const one = run();
    setNumThreads(Math.max(2, threads));
    expectSameBits(run(), one, 'threads');
    setNumThreads(threads);
  });
});

describe('gather / scatterAdd / oneHot', () => {
  for (const [outer, n, inner, m] of shapes) {
    it(`match the reference exactly: outer=${outer} n=${n} inner=${inner} m=${m}`, () => {
      const rand = seededRandom(outer * 5 + n + inner * 3 + m);
      const x = randomArray(outer * n * inner, rand);
      const index = n === 0 ? new Int32Array(0) : randomInts(outer * m * inner, rand, n);
      const y = new Float32Array(outer * m * inner), yRef = new Float32Array(outer * m * inner);
      gather(x, outer, n, inner, index, y);
      gather(x, outer, n, inner, index, yRef, 'ref');
      expectSameBits(y, yRef, 'gather');
      const dy = randomArray(outer * m * inner, rand);
      const dx = new Float32Array(outer * n * inner), dxRef = new Float32Array(outer * n * inner);
      scatterAdd(dy, outer, m, inner, index, dx);
      scatterAdd(dy, outer, m, inner, index, dxRef, 'ref');
      expectSameBits(dx, dxRef, 'scatterAdd');
    });
  }

  it('gather picks per element; scatterAdd is its gradient; oneHot writes 1 at each label', () => {
    const y = new Float32Array(2);
    gather(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 1, Int32Array.from([2, 0]), y);
    expect(Array.from(y)).toEqual([3, 4]);
    const dx = new Float32Array(6);
    scatterAdd(Float32Array.from([1, 2]), 2, 1, 1, Int32Array.from([2, 0]), dx);
    expect(Array.from(dx)).toEqual([0, 0, 1, 2, 0, 0]);
    for (const impl of ['cpu', 'ref'] as const) {
      const out = new Float32Array(9).fill(5);
      oneHot(Int32Array.from([2, 0, 1]), 3, out, impl);
      expect(Array.from(out)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    }
    const labels = randomInts(5000, seededRandom(1), 10);
    const a = new Float32Array(50000), b = new Float32Array(50000);
    oneHot(labels, 10, a);
    oneHot(labels, 10, b, 'ref');
    expectSameBits(a, b, 'oneHot large');
  });
});

describe('indexing bad input', () => {
  it('names the op, the argument and the position of an out-of-range index, and writes nothing', () => {
    const x = new Float32Array(6);
    expect(() => indexSelect(x, 1, 3, 2, Int32Array.from([0, 3]), new Float32Array(4)))
      .toThrow(/indexSelect: argument 'indices' holds 3 at position 1, outside \[0, 3\)/);
    expect(() => indexSelect(x, 1, 3, 2, Int32Array.from([-1]), new Float32Array(2))).toThrow(/holds -1 at position 0/);
    const dx = new Float32Array(6);
    expect(() => indexAdd(Float32Array.from([1, 1, 1, 1]), 1, 2, 2, Int32Array.from([0, 9]), dx)).toThrow(/indexAdd: argument 'indices' holds 9 at position 1/);
    expect(Array.from(dx)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => gather(x, 2, 3, 1, Int32Array.from([0, 5]), new Float32Array(2))).toThrow(/gather: argument 'index' holds 5 at position 1/);
    expect(() => scatterAdd(new Float32Array(2), 2, 1, 1, Int32Array.from([0, 3]), x)).toThrow(/scatterAdd: argument 'index' holds 3 at position 1/);
    expect(() => oneHot(Int32Array.from([1, 4]), 3, new Float32Array(6))).toThrow(/oneHot: argument 'labels' holds 4 at position 1/);
    expect(() => indexSelect(x, 1, 3, 1, Int32Array.from([0, 1]), x.subarray(1))).toThrow(/indexSelect: argument 'y' shares memory with 'x'/);
    expect(() => indexSelect(x, 1, 4, 2, Int32Array.from([0]), new Float32Array(2)))
      .toThrow(/indexSelect: argument 'x' has 6 elements but needs at least 8 \(outer=1, n=4, inner=2, m=1\)/);
  });
});
