import { afterAll, describe, expect, it } from 'vitest';
import { gemm, setIsa, capabilities, getNumThreads, setNumThreads } from '@graft/native';
import { expectClose, randomArray, seededRandom } from './helpers.js';

// Shapes cover 1, primes, sizes off the 8-wide vectors and the register tiles, zero-size dims,
// and every transpose combination. Tolerance: float32 accumulation over K terms of products of
// values in [-1, 1] against a float64 reference: relative error grows ~ sqrt(K) * 2^-24, so
// atol 1e-5 * sqrt(K) + rtol 1e-5 is loose enough for rounding and tight enough for a wrong index.
const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 3], [5, 1, 11], [7, 13, 5], [17, 9, 31], [33, 65, 17], [64, 64, 64],
  [100, 37, 129], [3, 0, 5], [0, 4, 4], [4, 4, 0], [257, 130, 67],
];
// 'avx512' runs the 12x32 micro-kernel where the CPU has AVX-512; 'avx2' forces the 6x16 one.
const caps = capabilities();
const isas = [
  ...(caps.detectedAvx512 ? (['avx512'] as const) : []),
  ...(caps.detectedIsa === 'avx2+fma' ? (['avx2'] as const) : []),
  'generic' as const,
];

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

// Shapes past the blocking of src/cpu/gemm.cc (KC = 256, MC = 144, NC = 4096, 2304-row A chunks):
// several K slices (beta must apply once), several row blocks and column panels, edge tiles on
// every side, threaded and batched paths.
const blockedShapes: Array<[number, number, number]> = [
  [150, 100, 600], [7, 4100, 5], [2311, 17, 3], [97, 203, 257], [301, 43, 513],
];

describe.each(isas)('gemm blocked and threaded (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const [m, n, k] of blockedShapes) {
    it(`m=${m} n=${n} k=${k} with transposes and padded leading dimensions`, () => {
      setIsa(isa);
      const rand = seededRandom(m + 7 * n + 13 * k);
      for (const [transA, transB] of [[false, false], [true, true], [false, true], [true, false]] as const) {
        const lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
        const a = randomArray((transA ? k : m) * lda, rand);
        const b = randomArray((transB ? n : k) * ldb, rand);
        const c0 = randomArray(m * ldc, rand);
        const args = { m, n, k, transA, transB, lda, ldb, ldc, alpha: -1.25, beta: 0.5, a, b };
        const c = c0.slice(), cRef = c0.slice();
        gemm({ ...args, c });
        gemm({ ...args, c: cRef }, 'ref');
        // Same bound as above: float32 sums of K products in [-1, 1] drift ~ sqrt(K) * 2^-24 relative.
        expectClose(c, cRef, { atol: 1e-5 * Math.sqrt(k + 1), rtol: 1e-5 }, `gemm ${m}x${n}x${k} ${transA} ${transB}`);
      }
    });
  }

  it('K == 0 scales C by beta, and beta == 0 writes zeros over NaN', () => {
    setIsa(isa);
    const c = Float32Array.from([1, 2, NaN, 4, 5, 6]);
    gemm({ m: 2, n: 3, k: 0, beta: 2, a: new Float32Array(0), b: new Float32Array(0), c });
    expect(Array.from(c.subarray(0, 2))).toEqual([2, 4]);
    gemm({ m: 2, n: 3, k: 0, beta: 0, a: new Float32Array(0), b: new Float32Array(0), c });
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('beta == 0 never reads C, also across several K slices and threads', () => {
    setIsa(isa);
    const rand = seededRandom(11);
    const [m, n, k] = [130, 70, 700];
    const a = randomArray(m * k, rand), b = randomArray(k * n, rand);
    const c = new Float32Array(m * n).fill(NaN), cRef = new Float32Array(m * n);
    gemm({ m, n, k, a, b, c, alpha: 2 });
    gemm({ m, n, k, a, b, c: cRef, alpha: 2 }, 'ref');
    // Tolerance as above, doubled for alpha = 2.
    expectClose(c, cRef, { atol: 2e-5 * Math.sqrt(k + 1), rtol: 1e-5 }, 'beta 0 blocked');
  });

  it('many small matrices in one batch (the batch-parallel path)', () => {
    setIsa(isa);
    const rand = seededRandom(5);
    const [m, n, k, batch] = [9, 10, 64, 40];
    const a = randomArray(m * k * batch, rand), b = randomArray(k * n * batch, rand);
    const c0 = randomArray(m * n * batch, rand);
    const c = c0.slice(), cRef = c0.slice();
    gemm({ m, n, k, a, b, c, batch, beta: 1 });
    gemm({ m, n, k, a, b, c: cRef, batch, beta: 1 }, 'ref');
    expectClose(c, cRef, { atol: 1e-5 * Math.sqrt(k + 1), rtol: 1e-5 }, 'small batch');
  });

  it('gives the same bits for 1 and 2 threads', () => {
    setIsa(isa);
    const saved = getNumThreads();
    const rand = seededRandom(3);
    const cases: Array<[number, number, number, number]> = [[301, 203, 600, 1], [64, 784, 9, 1], [9, 10, 64, 40], [1000, 24, 300, 1]];
    try {
      for (const [m, n, k, batch] of cases) {
        const a = randomArray(m * k * batch, rand), b = randomArray(k * n * batch, rand);
        const c0 = randomArray(m * n * batch, rand);
        const run = (threads: number): Float32Array => {
          setNumThreads(threads);
          const c = c0.slice();
          gemm({ m, n, k, a, b, c, batch, transB: true, alpha: 0.3, beta: 0.7 });
          return c;
        };
        const one = run(1), two = run(2);
        expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer)), `${m}x${n}x${k} batch ${batch}`).toBe(true);
      }
    } finally {
      setNumThreads(saved);
    }
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
