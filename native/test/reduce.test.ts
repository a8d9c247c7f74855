import { afterAll, describe, expect, it } from 'vitest';
import { argReduce, capabilities, getNumThreads, reduce, setIsa, setNumThreads, type ReduceOp } from '@graft/native';
import { expectClose, randomArray, seededRandom } from './helpers.js';

const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);
// (outer, r, inner): 1s, primes, a row longer than the 8192-element summing block (several partials),
// inner wider than the 256-column task chunk, and zero-size dims in each position.
const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [3, 7, 5], [2, 13, 1], [1, 20011, 1], [7, 3, 1], [2, 17, 300], [1, 1, 513], [5, 0, 3], [0, 4, 3], [4, 3, 0],
];
const ops: ReduceOp[] = ['sum', 'mean', 'max', 'min', 'prod'];

describe.each(isas)('reduce (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const op of ops) {
    it(`${op} matches the reference on every shape`, () => {
      setIsa(isa);
      for (const [outer, r, inner] of shapes) {
        if (r === 0 && (op === 'max' || op === 'min') && outer * inner > 0) continue;
        // prod: values near 1 so long products stay finite
        const [lo, hi] = op === 'prod' ? [0.999, 1.001] : [-1, 1];
        const x = randomArray(outer * r * inner, seededRandom(outer * 31 + r * 7 + inner), lo, hi);
        const y = new Float32Array(outer * inner).fill(-9), yRef = new Float32Array(outer * inner).fill(-9);
        reduce(op, x, outer, r, inner, y);
        reduce(op, x, outer, r, inner, yRef, 'ref');
        // Both accumulate in double (the cpu in another fixed order): they differ by at most the final
        // rounding to float, 1 ulp (max/min are exact).
        expectClose(y, yRef, { atol: 1e-30, rtol: op === 'max' || op === 'min' ? 0 : 1.2e-7 }, `${op} (${outer},${r},${inner})`);
      }
    });
  }

  it('r = 0: sum 0, prod 1, mean NaN; max and min throw', () => {
    setIsa(isa);
    const y = new Float32Array(6);
    reduce('sum', new Float32Array(0), 2, 0, 3, y);
    expect(Array.from(y)).toEqual([0, 0, 0, 0, 0, 0]);
    reduce('prod', new Float32Array(0), 2, 0, 3, y);
    expect(Array.from(y)).toEqual([1, 1, 1, 1, 1, 1]);
    reduce('mean', new Float32Array(0), 2, 0, 3, y);
    expect(y.every(Number.isNaN)).toBe(true);
    expect(() => reduce('max', new Float32Array(0), 2, 0, 3, y)).toThrow(/reduce: max over an empty dim \(outer=2, r=0, inner=3\)/);
    expect(() => argReduce('argmin', new Float32Array(0), 2, 0, 3, new Int32Array(6))).toThrow(/argReduce: argmin over an empty dim/);
  });

  it('max/min propagate NaN', () => {
    setIsa(isa);
    const x = Float32Array.from([1, NaN, 3, 4, 5, 6]);
    const y = new Float32Array(2);
    reduce('max', x, 2, 3, 1, y);
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(6);
    reduce('min', x, 1, 2, 3, new Float32Array(3));
  });

  it('argmax/argmin match the reference, take the first index on ties and let a NaN win', () => {
    setIsa(isa);
    for (const [outer, r, inner] of shapes) {
      if (r === 0) continue;
      const rand = seededRandom(r + inner);
      // few distinct values, so ties are common
      const x = Float32Array.from({ length: outer * r * inner }, () => Math.floor(rand() * 4));
      for (const op of ['argmax', 'argmin'] as const) {
        const y = new Int32Array(outer * inner), yRef = new Int32Array(outer * inner);
        argReduce(op, x, outer, r, inner, y);
        argReduce(op, x, outer, r, inner, yRef, 'ref');
        expect(Array.from(y), `${op} (${outer},${r},${inner})`).toEqual(Array.from(yRef));
      }
    }
    const y = new Int32Array(2);
    argReduce('argmax', Float32Array.from([1, 9, 3, 9, 7, 7, 2, 7]), 2, 4, 1, y);
    expect(Array.from(y)).toEqual([1, 0]);
    argReduce('argmin', Float32Array.from([1, NaN, 0, NaN, 7, 7, 2, 7]), 2, 4, 1, y);
    expect(Array.from(y)).toEqual([1, 2]);
    // columns (inner = 3): a NaN in column 1 at k = 2 and in column 2 at k = 0 and k = 3
    const cols = Float32Array.from([5, 1, NaN, 9, 2, 0, 1, NaN, 4, 9, 0, NaN]);
    for (const op of ['argmax', 'argmin'] as const) {
      const yc = new Int32Array(3);
      argReduce(op, cols, 1, 4, 3, yc);
      expect(Array.from(yc), op).toEqual(op === 'argmax' ? [1, 2, 0] : [2, 2, 0]);
    }
  });
});

describe('reduce determinism and bad input', () => {
  it('sums have the same bits for 1 thread and for the pool', () => {
    const threads = getNumThreads();
    const x = randomArray(3 * 50021, seededRandom(4), -1, 1);
    const run = (outer: number, r: number, inner: number): number[] => {
      const y = new Float32Array(outer * inner);
      reduce('sum', x, outer, r, inner, y);
      return Array.from(y);
    };
    setNumThreads(1);
    const one = [run(1, 150063, 1), run(3, 50021, 1), run(3, 21, 2381)];
    setNumThreads(Math.max(2, threads));
    expect([run(1, 150063, 1), run(3, 50021, 1), run(3, 21, 2381)]).toEqual(one);
    setNumThreads(threads);
  });

  it('names the op, the argument and the sizes', () => {
    expect(() => reduce('sum', new Float32Array(5), 2, 3, 1, new Float32Array(2)))
      .toThrow(/reduce: argument 'x' has 5 elements but needs at least 6 \(outer=2, r=3, inner=1\)/);
    expect(() => reduce('median' as ReduceOp, new Float32Array(6), 2, 3, 1, new Float32Array(2))).toThrow(/reduce: argument 'op'/);
    expect(() => argReduce('argmax', new Float32Array(6), 2, 3, 1, new Int32Array(1))).toThrow(/argReduce: argument 'y' has 1 elements/);
  });
});
