import { afterAll, describe, expect, it } from 'vitest';
import {
  capabilities, getNumThreads, logSoftmax, logSoftmaxBackward, setIsa, setNumThreads, softmax, softmaxBackward,
} from '@graft/native';
import { expectClose, randomArray, seededRandom } from './helpers.js';

const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);
// (outer, d, inner): 1s, primes, rows off the 8-lane width, a long row, column softmax (inner > 1)
// wider than the 64-column chunk, and zero-size dims.
const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [3, 7, 1], [5, 8, 1], [2, 9, 1], [4, 1000, 1], [2, 5, 3], [2, 33, 70], [0, 3, 2], [3, 0, 2], [2, 3, 0],
];

/** float64 softmax along d of x (outer, d, inner). */
function softmax64(x: ArrayLike<number>, outer: number, d: number, inner: number, log: boolean): Float64Array {
  const y = new Float64Array(outer * d * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number): number => (o * d + k) * inner + i;
      let max = -Infinity;
      for (let k = 0; k < d; k++) max = Math.max(max, x[at(k)] as number);
      let sum = 0;
      for (let k = 0; k < d; k++) sum += Math.exp((x[at(k)] as number) - max);
      for (let k = 0; k < d; k++) {
        const s = (x[at(k)] as number) - max;
        y[at(k)] = log ? s - Math.log(sum) : Math.exp(s) / sum;
      }
    }
  }
  return y;
}

describe.each(isas)('softmax (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    const forward = log ? logSoftmax : softmax;
    const backward = log ? logSoftmaxBackward : softmaxBackward;

    it(`${name} forward and backward match the reference on every shape`, () => {
      setIsa(isa);
      for (const [outer, d, inner] of shapes) {
        const n = outer * d * inner;
        const rand = seededRandom(n + d);
        const x = randomArray(n, rand, -8, 8);
        const y = new Float32Array(n), yRef = new Float32Array(n);
        forward(x, outer, d, inner, y);
        forward(x, outer, d, inner, yRef, 'ref');
        // exp is ~2 ulp (libm or the AVX2 polynomial) and the normaliser sums in double: rtol 2e-6.
        // log-softmax values reach ~-16: x - max - log(sum) in float loses ~1 ulp of 16, atol 4e-6.
        expectClose(y, yRef, log ? { atol: 4e-6, rtol: 1e-6 } : { atol: 1e-9, rtol: 2e-6 }, `${name} (${outer},${d},${inner})`);
        const dy = randomArray(n, rand, -1, 1);
        const dx = new Float32Array(n), dxRef = new Float32Array(n);
        backward(yRef, dy, outer, d, inner, dx);
        backward(yRef, dy, outer, d, inner, dxRef, 'ref');
        // one float multiply-subtract per element after a double dot product
        expectClose(dx, dxRef, { atol: 1e-6, rtol: 1e-5 }, `${name} backward (${outer},${d},${inner})`);
      }
    });

    it(`${name} backward matches finite differences of a float64 softmax`, () => {
      setIsa(isa);
      const [outer, d, inner] = [2, 7, 3];
      const n = outer * d * inner;
      const x = Float64Array.from(randomArray(n, seededRandom(77), -3, 3));
      const w = randomArray(n, seededRandom(78), -1, 1);
      // L = sum(w * f(x)) so dL/dy = w
      const loss = (): number => softmax64(x, outer, d, inner, log).reduce((s, v, i) => s + v * (w[i] as number), 0);
      const y = new Float32Array(n);
      forward(Float32Array.from(x), outer, d, inner, y, 'ref');
      const dx = new Float32Array(n);
      backward(y, w, outer, d, inner, dx);
      const fd = Array.from(x, (_, i) => {
        const saved = x[i] as number;
        x[i] = saved + 1e-6; const up = loss();
        x[i] = saved - 1e-6; const down = loss();
        x[i] = saved;
        return (up - down) / 2e-6;
      });
      // float32 y and dx against a float64 derivative (FD error ~1e-10): float rounding dominates
      expectClose(dx, fd, { atol: 1e-5, rtol: 1e-4 }, `${name} fd`);
    });
  }

  it('is stable for huge logits and matches a float64 softmax', () => {
    setIsa(isa);
    const x = Float32Array.from([1000, 999, -1000, 998, 1000, 3, 2, 1, 0]);
    const y = new Float32Array(9), ly = new Float32Array(9);
    softmax(x, 1, 9, 1, y);
    logSoftmax(x, 1, 9, 1, ly);
    expectClose(y, softmax64(x, 1, 9, 1, false), { atol: 1e-9, rtol: 2e-6 }, 'huge softmax');
    expectClose(ly, softmax64(x, 1, 9, 1, true), { atol: 2e-4, rtol: 1e-6 }, 'huge logSoftmax (values ~2000: float ulp 1.2e-4)');
  });
});

describe.each(isas)('softmax with infinities (%s)', (isa) => {
  afterAll(() => void setIsa('auto'));
  it('rows and columns treat -inf and +inf as the reference does', () => {
    setIsa(isa);
    // (outer=2, d=4, inner=10): column 0 all -inf (NaN out), column 1 holds +inf, column 2 one -inf
    const x = randomArray(80, seededRandom(8), -3, 3);
    for (const o of [0, 1]) {
      for (let k = 0; k < 4; k++) x[(o * 4 + k) * 10] = -Infinity;
      x[(o * 4 + 2) * 10 + 1] = Infinity;
      x[(o * 4 + 3) * 10 + 2] = -Infinity;
    }
    for (const [outer, d, inner] of [[2, 4, 10], [8, 10, 1]] as const) {
      for (const f of [softmax, logSoftmax]) {
        const y = new Float32Array(80), yRef = new Float32Array(80);
        f(x, outer, d, inner, y);
        f(x, outer, d, inner, yRef, 'ref');
        // NaN and infinities must match exactly; finite values as in the main test
        expectClose(y, yRef, { atol: 4e-6, rtol: 2e-6 }, `${f.name} (${outer},${d},${inner})`);
      }
    }
  });
});

describe('softmax determinism and bad input', () => {
  it('same bits for 1 thread and for the pool', () => {
    const threads = getNumThreads();
    const x = randomArray(300 * 257, seededRandom(1), -5, 5);
    const run = (): Float32Array => { const y = new Float32Array(x.length); softmax(x, 300, 257, 1, y); return y; };
    setNumThreads(1);
    const one = run();
    setNumThreads(Math.max(2, threads));
    expect(Buffer.from(run().buffer).equals(Buffer.from(one.buffer))).toBe(true);
    setNumThreads(threads);
  });

  it('names the op, the argument and the sizes', () => {
    expect(() => softmax(new Float32Array(5), 2, 3, 1, new Float32Array(6)))
      .toThrow(/softmax: argument 'x' has 5 elements but needs at least 6 \(outer=2, d=3, inner=1\)/);
    expect(() => logSoftmaxBackward(new Float32Array(6), new Float32Array(6), 2, 3, 1, new Float32Array(2)))
      .toThrow(/logSoftmaxBackward: argument 'dx' has 2 elements/);
  });
});
