import { describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward, capabilities, getNumThreads,
  maxPool2dBackward, maxPool2dForward, pool2dOutputSize, setIsa, setNumThreads, type AvgPool2dShape, type MaxPool2dShape,
} from '@graft/native';
import { expectClose, finiteDifference, randomArray, seededRandom, type Tolerance } from './helpers.js';

// Windows: 1x1, ResNet's 3x3/2 pad 1, non-square kernels and strides, dilation 2, ceil mode whose last
// window hangs over the padding, primes, and a zero-size batch.
const windows: MaxPool2dShape[] = [
  { n: 1, c: 1, h: 1, w: 1, kernelSize: 1 },
  { n: 2, c: 3, h: 7, w: 7, kernelSize: 3, stride: 2, padding: 1 },
  { n: 1, c: 2, h: 8, w: 9, kernelSize: 2 },
  { n: 2, c: 3, h: 9, w: 10, kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
  { n: 1, c: 2, h: 10, w: 11, kernelSize: [3, 2], stride: [2, 3], padding: 1, dilation: 2, ceilMode: true },
  { n: 2, c: 5, h: 13, w: 11, kernelSize: 5, stride: 3, padding: 2, ceilMode: true },
  { n: 3, c: 7, h: 6, w: 17, kernelSize: [2, 4], stride: 1, padding: [1, 2] },
  { n: 0, c: 3, h: 5, w: 5, kernelSize: 3, stride: 1, padding: 1 },
];

function name(s: MaxPool2dShape): string {
  return `n=${s.n} c=${s.c} ${s.h}x${s.w} k=${String(s.kernelSize)} s=${String(s.stride ?? '')} p=${String(s.padding ?? 0)} d=${String(s.dilation ?? 1)}${s.ceilMode ? ' ceil' : ''}`;
}

function sizes(s: MaxPool2dShape): { x: number; y: number } {
  const { p, q } = pool2dOutputSize(s);
  return { x: s.n * s.c * s.h * s.w, y: s.n * s.c * p * q };
}

/** Distinct values (a shuffled grid 0.01 apart), so a max has no near-tie and a small step cannot flip it. */
function distinctValues(n: number, rand: () => number): Float32Array {
  const out = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

// A window sums at most 25 values in float (exact reference in float64): 1e-6 absolute covers it.
const sumTol: Tolerance = { atol: 1e-6, rtol: 1e-6 };
// Pooling is linear in x (max pool piecewise linear, with no tie within 0.01), so a central difference
// of the float32 reference is exact up to rounding of x ± h and of y: step 1e-3 leaves ~1e-4 relative.
const fdTol: Tolerance = { atol: 2e-4, rtol: 2e-4 };

function lossOf(y: Float32Array, g: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (y[i] as number) * (g[i] as number);
  return sum;
}

describe('max pool 2d', () => {
  for (const shape of windows) {
    it(`matches the reference and finite differences: ${name(shape)}`, () => {
      const rand = seededRandom(shape.h * 97 + shape.w);
      const size = sizes(shape);
      const x = distinctValues(size.x, rand), dy = randomArray(size.y, rand);
      const y = new Float32Array(size.y).fill(NaN), indices = new Int32Array(size.y).fill(-7);
      const yRef = new Float32Array(size.y), indicesRef = new Int32Array(size.y);
      maxPool2dForward({ ...shape, x, y, indices });
      maxPool2dForward({ ...shape, x, y: yRef, indices: indicesRef }, 'ref');
      expect(y).toEqual(yRef); // a max is exact
      expect(indices).toEqual(indicesRef);

      const dx = new Float32Array(size.x).fill(NaN), dxRef = new Float32Array(size.x);
      maxPool2dBackward({ ...shape, dy, indices, dx });
      maxPool2dBackward({ ...shape, dy, indices, dx: dxRef }, 'ref');
      expectClose(dx, dxRef, sumTol, 'dx');

      if (size.x > 0 && size.x <= 500) {
        const yy = new Float32Array(size.y), ii = new Int32Array(size.y);
        const loss = (): number => (maxPool2dForward({ ...shape, x, y: yy, indices: ii }, 'ref'), lossOf(yy, dy));
        expectClose(dx, Float64Array.from(x, (_, i) => finiteDifference(loss, x, i, 1e-3)), fdTol, 'dx vs finite differences');
      }
    });
  }

  // torch.nn.functional.max_pool2d(x, (2,3), stride=2, padding=1, dilation=2, ceil_mode=True,
  //   return_indices=True), x = ((torch.arange(1, 36).reshape(1,1,5,7) * 7) % 11) - 5 (PyTorch 1.13)
  it('matches PyTorch with dilation and ceil mode', () => {
    const x = Float32Array.from({ length: 35 }, (_, i) => (((i + 1) * 7) % 11) - 5);
    const y = new Float32Array(9), indices = new Int32Array(9);
    const shape = { n: 1, c: 1, h: 5, w: 7, kernelSize: [2, 3] as const, stride: 2, padding: 1, dilation: 2, ceilMode: true };
    for (const impl of ['cpu', 'ref'] as const) {
      maxPool2dForward({ ...shape, x, y, indices }, impl);
      expect(Array.from(y)).toEqual([3, 3, -2, 5, 5, 5, 5, 5, 5]);
      expect(Array.from(indices)).toEqual([8, 8, 12, 24, 24, 24, 24, 24, 24]);
    }
  });

  // Values from {-inf, -1, 0, 1, NaN}: ties (the first tap in scan order wins), NaNs (the last NaN
  // wins), and windows whose every input is -inf (the first input tap, not -1), on ResNet's 3x3/2 pad 1
  // window over the stem's 16x16 maps, a batch of 1 with odd sizes, stride 1 and a dilated ceil-mode
  // window, 1 and 3 threads, on the AVX-512 rows (where the CPU has them) and the portable ones.
  it('matches the reference bit for bit with ties, NaNs and -inf inputs', () => {
    const before = getNumThreads();
    const isas = [...(capabilities().detectedAvx512 ? (['avx512'] as const) : []), 'generic' as const];
    const shapes: MaxPool2dShape[] = [
      { n: 2, c: 5, h: 16, w: 16, kernelSize: 3, stride: 2, padding: 1 },
      { n: 1, c: 3, h: 7, w: 11, kernelSize: 3, stride: 2, padding: 1 },
      { n: 2, c: 2, h: 6, w: 9, kernelSize: [2, 3], stride: 1, padding: [1, 1] },
      { n: 1, c: 2, h: 9, w: 12, kernelSize: 3, stride: [3, 2], padding: 1, dilation: 2, ceilMode: true },
    ];
    const levels = [-Infinity, -Infinity, -1, 0, 0, 1, NaN];
    try {
      for (const shape of shapes) {
        const rand = seededRandom(shape.h * 31 + shape.w);
        const size = sizes(shape);
        const x = Float32Array.from({ length: size.x }, () => levels[Math.floor(rand() * levels.length)] as number);
        const yRef = new Float32Array(size.y), indicesRef = new Int32Array(size.y);
        maxPool2dForward({ ...shape, x, y: yRef, indices: indicesRef }, 'ref');
        for (const isa of isas)
          for (const threads of [1, 3]) {
            setIsa(isa);
            setNumThreads(threads);
            const y = new Float32Array(size.y).fill(7), indices = new Int32Array(size.y).fill(-7);
            maxPool2dForward({ ...shape, x, y, indices });
            expect(Buffer.compare(Buffer.from(y.buffer), Buffer.from(yRef.buffer))).toBe(0);
            expect(indices).toEqual(indicesRef);
          }
      }
    } finally {
      setNumThreads(before);
      setIsa('auto');
    }
  });

  it('lets NaN win as PyTorch does, and gives -inf and index -1 for a window with no input', () => {
    const y = new Float32Array(2), indices = new Int32Array(2);
    maxPool2dForward({ n: 1, c: 1, h: 2, w: 3, kernelSize: 2, stride: 1, x: Float32Array.from([1, NaN, 3, 4, 5, 6]), y, indices });
    expect(Array.from(y)).toEqual([NaN, NaN]);
    expect(Array.from(indices)).toEqual([1, 1]);
    // Taps at -1 and 3 of a 3-wide input: both fall in the padding.
    const shape = { n: 1, c: 1, h: 3, w: 3, kernelSize: 2, stride: 1, padding: 1, dilation: 4 };
    const one = new Float32Array(1), index = new Int32Array(1), dx = new Float32Array(9).fill(NaN);
    for (const impl of ['cpu', 'ref'] as const) {
      maxPool2dForward({ ...shape, x: randomArray(9, seededRandom(1)), y: one, indices: index }, impl);
      expect([one[0], index[0]]).toEqual([-Infinity, -1]);
      maxPool2dBackward({ ...shape, dy: Float32Array.from([1]), indices: index, dx }, impl);
      expect(Array.from(dx)).toEqual(new Array(9).fill(0));
    }
  });
});

describe('avg pool 2d', () => {
  for (const base of windows.filter((s) => s.dilation === undefined)) {
    for (const countIncludePad of [true, false]) {
      const shape: AvgPool2dShape = { ...base, countIncludePad };
      it(`matches the reference and finite differences: ${name(shape)} includePad=${countIncludePad}`, () => {
        const rand = seededRandom(shape.h * 31 + shape.w);
        const size = sizes(shape);
        const x = randomArray(size.x, rand), dy = randomArray(size.y, rand);
        const y = new Float32Array(size.y).fill(NaN), yRef = new Float32Array(size.y);
        avgPool2dForward({ ...shape, x, y });
        avgPool2dForward({ ...shape, x, y: yRef }, 'ref');
        expectClose(y, yRef, sumTol, 'y');
        const dx = new Float32Array(size.x).fill(NaN), dxRef = new Float32Array(size.x);
        avgPool2dBackward({ ...shape, dy, dx });
        avgPool2dBackward({ ...shape, dy, dx: dxRef }, 'ref');
        expectClose(dx, dxRef, sumTol, 'dx');
        if (size.x > 0 && size.x <= 500) {
          const yy = new Float32Array(size.y);
          const loss = (): number => (avgPool2dForward({ ...shape, x, y: yy }, 'ref'), lossOf(yy, dy));
          expectClose(dx, Float64Array.from(x, (_, i) => finiteDifference(loss, x, i, 1e-3)), fdTol, 'dx vs finite differences');
        }
      });
    }
  }

  // torch.nn.functional.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=True/False),
  // same x as above (PyTorch 1.13): the last column's window hangs one past the padding.
  it('matches PyTorch divisors in ceil mode with and without padding counted', () => {
    const x = Float32Array.from({ length: 35 }, (_, i) => (((i + 1) * 7) % 11) - 5);
    const y = new Float32Array(12);
    const shape = { n: 1, c: 1, h: 5, w: 7, kernelSize: 3, stride: 2, padding: 1, ceilMode: true };
    const included = [-1 / 9, 1 / 9, -3 / 9, 7 / 9, -6 / 9, 3 / 9, -3 / 9, 6 / 9, -7 / 9, 3 / 9, -1 / 9, 1 / 9];
    const excluded = [-0.25, 1 / 6, -0.5, 1.75, -1, 1 / 3, -1 / 3, 1, -1.75, 0.5, -1 / 6, 0.25];
    for (const impl of ['cpu', 'ref'] as const) {
      avgPool2dForward({ ...shape, x, y, countIncludePad: true }, impl);
      expectClose(y, included, sumTol, `${impl} count_include_pad=True`);
      avgPool2dForward({ ...shape, x, y, countIncludePad: false }, impl);
      expectClose(y, excluded, sumTol, `${impl} count_include_pad=False`);
    }
  });
});

describe('adaptive avg pool 2d', () => {
  const shapes: Array<[number, number, number, number, number, number]> = [
    [2, 3, 7, 7, 1, 1], [3, 5, 13, 11, 1, 1], [2, 3, 5, 7, 2, 3], [1, 2, 6, 6, 4, 4], [1, 2, 3, 5, 7, 2],
    [2, 3, 10, 9, 3, 5], [0, 4, 5, 5, 1, 1], [1, 1, 1, 1, 1, 1],
  ];
  for (const [n, c, h, w, outH, outW] of shapes) {
    it(`matches the reference and finite differences: n=${n} c=${c} ${h}x${w} -> ${outH}x${outW}`, () => {
      const shape = { n, c, h, w, outH, outW };
      const rand = seededRandom(h * 100 + outH * 10 + outW);
      const x = randomArray(n * c * h * w, rand), dy = randomArray(n * c * outH * outW, rand);
      const y = new Float32Array(dy.length).fill(NaN), yRef = new Float32Array(dy.length);
      adaptiveAvgPool2dForward({ ...shape, x, y });
      adaptiveAvgPool2dForward({ ...shape, x, y: yRef }, 'ref');
      // The global path sums a whole plane (up to 143 values) in float: 1e-6 + 1e-5 relative covers it.
      expectClose(y, yRef, { atol: 1e-6, rtol: 1e-5 }, 'y');
      const dx = new Float32Array(x.length).fill(NaN), dxRef = new Float32Array(x.length);
      adaptiveAvgPool2dBackward({ ...shape, dy, dx });
      adaptiveAvgPool2dBackward({ ...shape, dy, dx: dxRef }, 'ref');
      expectClose(dx, dxRef, sumTol, 'dx');
      if (x.length > 0 && x.length <= 500) {
        const yy = new Float32Array(dy.length);
        const loss = (): number => (adaptiveAvgPool2dForward({ ...shape, x, y: yy }, 'ref'), lossOf(yy, dy));
        expectClose(dx, Float64Array.from(x, (_, i) => finiteDifference(loss, x, i, 1e-3)), fdTol, 'dx vs finite differences');
      }
    });
  }

  // torch.nn.functional.adaptive_avg_pool2d(x, (2, 3)), same x as above (PyTorch 1.13).
  it('matches PyTorch windows', () => {
    const x = Float32Array.from({ length: 35 }, (_, i) => (((i + 1) * 7) % 11) - 5);
    const y = new Float32Array(6);
    for (const impl of ['cpu', 'ref'] as const) {
      adaptiveAvgPool2dForward({ n: 1, c: 1, h: 5, w: 7, outH: 2, outW: 3, x, y }, impl);
      expectClose(y, [5 / 9, -1 / 9, 4 / 9, -4 / 9, 1 / 9, -5 / 9], sumTol, impl);
    }
  });

  it('gives identical bits for 1 and 3 threads', () => {
    const before = getNumThreads();
    const x = randomArray(64 * 49 * 8, seededRandom(3));
    const run = (threads: number): Float32Array => {
      setNumThreads(threads);
      const y = new Float32Array(64 * 8);
      adaptiveAvgPool2dForward({ n: 8, c: 64, h: 7, w: 7, outH: 1, outW: 1, x, y });
      return y;
    };
    try {
      expect(run(3)).toEqual(run(1));
    } finally {
      setNumThreads(before);
    }
  });
});

describe('pool bad input', () => {
  const x = new Float32Array(25), y = new Float32Array(25), indices = new Int32Array(25);
  it('rejects padding over half the kernel, empty outputs and empty planes', () => {
    expect(() => maxPool2dForward({ n: 1, c: 1, h: 5, w: 5, kernelSize: 3, padding: 2, x, y, indices }))
      .toThrow(/maxPool2dForward: padding must be at most half the kernel size \(n=1, c=1, h=5, w=5, kernel=3x3/);
    expect(() => avgPool2dForward({ n: 1, c: 1, h: 5, w: 5, kernelSize: 7, x, y }))
      .toThrow(/avgPool2dForward: the output would be empty \(n=1, c=1, h=5, w=5, kernel=7x7/);
    expect(() => maxPool2dForward({ n: 1, c: 1, h: 0, w: 5, kernelSize: 1, x, y, indices }))
      .toThrow(/maxPool2dForward: argument 'h' must be >= 1/);
    expect(() => adaptiveAvgPool2dForward({ n: 1, c: 1, h: 5, w: 5, outH: 0, outW: 1, x, y }))
      .toThrow(/adaptiveAvgPool2dForward: argument 'outH' must be >= 1/);
  });
  it('names the argument and the shape when a buffer is too short or of the wrong type', () => {
    expect(() => maxPool2dForward({ n: 1, c: 1, h: 5, w: 5, kernelSize: 1, x, y, indices: new Int32Array(3) }))
      .toThrow(/maxPool2dForward: argument 'indices' has 3 elements but needs at least 25 \(n=1, c=1, h=5, w=5/);
    expect(() => avgPool2dBackward({ n: 2, c: 1, h: 5, w: 5, kernelSize: 1, dy: y, dx: x }))
      .toThrow(/avgPool2dBackward: argument 'dy' has 25 elements but needs at least 50/);
    expect(() => adaptiveAvgPool2dBackward({ n: 1, c: 2, h: 5, w: 5, outH: 1, outW: 1, dy: new Float32Array(2), dx: x }))
      .toThrow(/adaptiveAvgPool2dBackward: argument 'dx' has 25 elements but needs at least 50/);
    expect(() => maxPool2dForward({ n: 1, c: 1, h: 5, w: 5, kernelSize: 1, x, y, indices: new Float32Array(25) as unknown as Int32Array }))
      .toThrow(/maxPool2dForward: argument 'indices' must be a Int32Array/);
  });
  it('rejects indices outside the plane before writing dx', () => {
    const dx = new Float32Array(25).fill(7);
    const bad = new Int32Array(25).fill(0);
    bad[3] = 25;
    for (const impl of ['cpu', 'ref'] as const) {
      expect(() => maxPool2dBackward({ n: 1, c: 1, h: 5, w: 5, kernelSize: 1, dy: y, indices: bad, dx }, impl))
        .toThrow(/maxPool2dBackward: argument 'indices' holds 25 at 3, outside the 5x5 input plane/);
      expect(dx.every((v) => v === 7)).toBe(true);
    }
  });
});
