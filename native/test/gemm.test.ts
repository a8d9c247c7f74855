import { afterAll, describe, expect, it } from 'vitest';
import { gemm, setIsa, capabilities } from '@graft/native';
import { expectClose, randomArray, seededRandom } from './helpers.js';

// Shapes cover 1, primes, sizes off the 8-wide vectors and the register tiles, zero-size dims,
// and every transpose combination. Tolerance: float32 accumulation over K terms of products of
// values in [-1, 1] against a float64 reference: relative error grows ~ sqrt(K) * 2^-24, so
// atol 1e-5 * sqrt(K) + rtol 1e-5 is loose enough for rounding and tight enough for a wrong index.
const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 3], [5, 1, 11], [7, 13, 5], [17, 9, 31], [33, 65, 17], [64, 64, 64],
  [100, 37, 129], [3, 0, 5], [0, 4, 4], [4, 4, 0], [257, 130, 67],
];
const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);

describe.each(isas)('gemm (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, () => {
          setIsa(isa);
          const rand = seededRandom(m * 1000 + n * 10 + k);
          const a = randomArray(m * k, rand);
          const b = randomArray(k * n, rand);
          const c0 = randomArray(m * n, rand);
          const args = { m, n, k, transA, transB, alpha: 0.75, beta: 0.5, a, b };
          const c = c0.slice();
          const cRef = c0.slice();
          gemm({ ...args, c });
          gemm({ ...args, c: cRef }, 'ref');
          expectClose(c, cRef, { atol: 1e-5 * Math.sqrt(k + 1), rtol: 1e-5 }, `gemm ${m}x${n}x${k}`);
        });
      }
    }
  }

  it('strided batches with padded leading dimensions', () => {
    const rand = seededRandom(7);
    const [m, n, k, batch] = [6, 10, 9, 3];
    const lda = k + 3, ldb = n + 1, ldc = n + 5;
    const strideA = m * lda + 2, strideB = k * ldb, strideC = m * ldc + 1;
    const a = randomArray(strideA * batch, rand);
    const b = randomArray(strideB * batch, rand);
    const c = randomArray(strideC * batch, rand);
    const cRef = c.slice();
    const args = { m, n, k, a, b, lda, ldb, ldc, batch, strideA, strideB, strideC, beta: 1 };
    gemm({ ...args, c });
    gemm({ ...args, c: cRef }, 'ref');
    expectClose(c, cRef, { atol: 1e-5 * Math.sqrt(k), rtol: 1e-5 }, 'batched gemm');
  });

  it('beta = 0 ignores NaN already in C', () => {
    const c = new Float32Array(4).fill(NaN);
    gemm({ m: 2, n: 2, k: 2, a: Float32Array.from([1, 2, 3, 4]), b: Float32Array.from([1, 0, 0, 1]), c });
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
  });
});

describe('gemm bad input', () => {
  it('names the argument and the sizes when a buffer is too short', () => {
    expect(() => gemm({ m: 2, n: 2, k: 2, a: new Float32Array(3), b: new Float32Array(4), c: new Float32Array(4) }))
      .toThrow(/gemm: argument 'a' has 3 elements but needs at least 4 \(m=2, n=2, k=2/);
  });
  it('rejects negative sizes, a leading dimension smaller than a row and wrong array types', () => {
    expect(() => gemm({ m: -1, n: 2, k: 2, a: new Float32Array(4), b: new Float32Array(4), c: new Float32Array(4) }))
      .toThrow(/gemm: argument 'm' must be >= 0/);
    expect(() => gemm({ m: 2, n: 2, k: 2, lda: 1, a: new Float32Array(4), b: new Float32Array(4), c: new Float32Array(4) }))
      .toThrow(/lda=1 is smaller than a row of 'a'/);
    expect(() => gemm({ m: 2, n: 2, k: 2, a: new Float64Array(4) as unknown as Float32Array, b: new Float32Array(4), c: new Float32Array(4) }))
      .toThrow(/gemm: argument 'a' must be a Float32Array/);
  });
});
