import { afterAll, describe, expect, it } from 'vitest';
import {
  capabilities, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, conv2dOutputSize, getNumThreads,
  memoryStats, resetPeakMemory, setIsa, setNumThreads, type Conv2dShape,
} from '@graft/native';
import { expectClose, finiteDifference, randomArray, seededRandom, type Tolerance } from './helpers.js';

// [n, c, h, w, k, r, s, stride, padding, dilation, groups]: 1, primes, stride 2 and 3, padding,
// dilation 2, groups 2, depthwise (with and without a channel multiplier), 1x1 (the no-im2col path),
// a kernel larger than the input, zero-size batch and channels, and a batch split into chunks.
type Case = [number, number, number, number, number, number, number, number, number, number, number];
const cases: Case[] = [
  [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1],
  [2, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1],
  [3, 5, 11, 13, 7, 3, 2, 2, 1, 1, 1],
  [2, 4, 9, 9, 6, 3, 3, 1, 2, 2, 1],
  [1, 3, 17, 19, 5, 5, 5, 3, 2, 1, 1],
  [2, 4, 8, 7, 6, 3, 3, 2, 1, 1, 2],
  [3, 6, 10, 9, 6, 3, 3, 1, 1, 1, 6],
  [2, 3, 6, 7, 6, 3, 3, 2, 0, 2, 3],
  [2, 8, 5, 5, 12, 1, 1, 1, 0, 1, 1],
  [2, 8, 5, 3, 4, 1, 1, 1, 0, 1, 2],
  [3, 4, 9, 9, 8, 1, 1, 2, 0, 1, 1],
  [1, 2, 3, 3, 3, 7, 7, 1, 3, 1, 1],
  [0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1],
  [2, 0, 5, 5, 4, 3, 3, 1, 1, 1, 1],
  [2, 3, 5, 5, 0, 3, 3, 1, 1, 1, 1],
  // Enough images for whole images per thread (n >= 2 * threads on a 2-core machine).
  [5, 4, 9, 8, 6, 3, 3, 2, 1, 2, 2],
  // 288 x 1089 column floats per image: the 4 Mi-float scratch budget holds 13 images, so 14 make two chunks.
  [14, 32, 33, 33, 4, 3, 3, 1, 1, 1, 1],
  // Kernel taps that only read padding are dropped: 1x1 map (centre tap only, then one GEMM),
  // 2x2 map at stride 2 (a 2x2 window), rows only with groups, and dilation 2 leaving one tap.
  [3, 5, 1, 1, 4, 3, 3, 1, 1, 1, 1],
  [2, 6, 2, 2, 5, 3, 3, 2, 1, 1, 1],
  [2, 4, 1, 3, 6, 3, 3, 1, 1, 1, 2],
  [2, 3, 2, 2, 4, 3, 3, 1, 2, 2, 1],
  // A 1x1 conv on 1x1 maps: the whole batch as one GEMM, sizes off the vector width.
  [7, 13, 1, 1, 11, 1, 1, 1, 0, 1, 1],
  // A strided 1x1 conv on small maps (ResNet-18's downsample on 4x4): 20 images of 2x2 outputs make
  // one weight-gradient part (at least 128 pixels deep), not 16 parts of one or two images.
  [20, 6, 4, 4, 10, 1, 1, 2, 0, 1, 1],
  // The direct AVX-512 path (stride 1, output rows as wide as input rows, planes of >= 16 pixels):
  // 1 input channel and 17 outputs (two 16-channel slivers), 17 inputs on a 4x4 map (16 pixels:
  // every block spans two images), 7x7 and 5x7 planes whose 16-pixel blocks straddle images, 5x5 pad 2,
  // dilation 2 pad 2, groups, 33 outputs, a 1x1 weight gradient, and 160 blocks (two weight-gradient parts).
  [3, 1, 5, 7, 17, 3, 3, 1, 1, 1, 1],
  [2, 17, 4, 4, 3, 3, 3, 1, 1, 1, 1],
  [3, 3, 7, 7, 16, 3, 3, 1, 1, 1, 1],
  [2, 3, 8, 5, 4, 5, 5, 1, 2, 1, 1],
  [2, 5, 6, 9, 7, 3, 3, 1, 2, 2, 1],
  [3, 6, 5, 6, 10, 3, 3, 1, 1, 1, 2],
  [2, 2, 6, 6, 33, 3, 3, 1, 1, 1, 1],
  [3, 5, 4, 5, 6, 1, 1, 1, 0, 1, 1],
  [40, 3, 8, 8, 5, 3, 3, 1, 1, 1, 1],
  // The AVX-512 3x3 weight gradient (any stride, output rows of >= 4, or >= 2 past 128 output
  // channels): stride 2, stride 3 with dilation 2, groups; rows of 4, 5 and 6 (batch 1, stride 2,
  // groups); rows of 2 and 3 with 130 and 131 output channels (a partial last sliver of 16).
  [3, 5, 11, 15, 6, 3, 3, 2, 1, 1, 1],
  [2, 3, 13, 22, 4, 3, 3, 3, 2, 2, 1],
  [2, 6, 5, 9, 10, 3, 3, 1, 1, 1, 2],
  [1, 3, 6, 4, 5, 3, 3, 1, 1, 1, 1],
  [3, 4, 7, 9, 7, 3, 3, 2, 1, 1, 1],
  [2, 4, 5, 6, 6, 3, 3, 1, 1, 1, 2],
  [2, 3, 4, 4, 130, 3, 3, 2, 1, 1, 1],
  [1, 2, 5, 3, 131, 3, 3, 1, 1, 1, 1],
  // Maps no larger than the kernel, batch >= 4: one dense GEMM over the batch (every instruction set):
  // 2x2 with 3x3 pad 1, 3x2 at stride 2, dilation 2, a 2x2 map under a 3x2 kernel, and one channel in
  // and out.
  [5, 7, 2, 2, 6, 3, 3, 1, 1, 1, 1],
  [4, 5, 3, 2, 3, 3, 3, 2, 1, 1, 1],
  [6, 3, 2, 3, 4, 3, 3, 1, 2, 2, 1],
  [4, 17, 2, 2, 3, 3, 2, 1, 1, 1, 1],
  [4, 1, 2, 2, 1, 3, 3, 1, 1, 1, 1],
];

function shapeOf([n, c, h, w, k, r, s, stride, padding, dilation, groups]: Case): Conv2dShape {
  return { n, c, h, w, k, r, s, stride, padding, dilation, groups };
}

function sizesOf(shape: Conv2dShape): { x: number; w: number; y: number } {
  const { p, q } = conv2dOutputSize(shape);
  const groups = shape.groups ?? 1;
  return { x: shape.n * shape.c * shape.h * shape.w, w: shape.k * (shape.c / groups) * shape.r * shape.s, y: shape.n * shape.k * p * q };
}

// Float32 sums of `terms` products of values in [-1, 1] (GEMM blocking, chunked batches) differ from the
// float64 reference by rounding that grows with the number of terms (about eps * terms in the worst
// case for a plain running sum); 2e-7 * terms (eps = 6e-8) covers that, while a wrong index or a
// missed tap changes an output by O(1).
function tolerance(terms: number): Tolerance {
  return { atol: 1e-5 + 2e-7 * terms, rtol: 1e-5 };
}

// 'avx512' adds the direct convolution where the CPU has AVX-512; 'avx2' forces the im2col + AVX2 GEMM path.
const caps = capabilities();
const isas = [
  ...(caps.detectedAvx512 ? (['avx512'] as const) : []),
  ...(caps.detectedIsa === 'avx2+fma' ? (['avx2'] as const) : []),
  'generic' as const,
];

describe.each(isas)('conv2d against the reference (%s)', (isa) => {
  afterAll(() => void setIsa('auto'));

  for (const c of cases) {
    const shape = shapeOf(c);
    it(`n=${c[0]} c=${c[1]} ${c[2]}x${c[3]} k=${c[4]} ${c[5]}x${c[6]} stride=${c[7]} pad=${c[8]} dil=${c[9]} groups=${c[10]}`, () => {
      setIsa(isa);
      const rand = seededRandom(c.reduce((a, b) => a * 31 + b, 7));
      const size = sizesOf(shape);
      const { p, q } = conv2dOutputSize(shape);
      const x = randomArray(size.x, rand), weight = randomArray(size.w, rand), bias = randomArray(shape.k, rand);
      const dy = randomArray(size.y, rand);
      const cg = shape.c / (shape.groups ?? 1), kg = shape.k / (shape.groups ?? 1);

      // Outputs start as NaN: every element must be overwritten.
      const y = new Float32Array(size.y).fill(NaN), yRef = new Float32Array(size.y);
      conv2dForward({ ...shape, x, weight, bias, y });
      conv2dForward({ ...shape, x, weight, bias, y: yRef }, 'ref');
      expectClose(y, yRef, tolerance(cg * shape.r * shape.s + 1), 'forward');

      const dx = new Float32Array(size.x).fill(NaN), dxRef = new Float32Array(size.x);
      conv2dBackwardData({ ...shape, dy, weight, dx });
      conv2dBackwardData({ ...shape, dy, weight, dx: dxRef }, 'ref');
      expectClose(dx, dxRef, tolerance(kg * shape.r * shape.s), 'backward data');

      const dw = new Float32Array(size.w).fill(NaN), dwRef = new Float32Array(size.w);
      const dbias = new Float32Array(shape.k).fill(NaN), dbiasRef = new Float32Array(shape.k);
      conv2dBackwardWeight({ ...shape, x, dy, dw, dbias });
      conv2dBackwardWeight({ ...shape, x, dy, dw: dwRef, dbias: dbiasRef }, 'ref');
      expectClose(dw, dwRef, tolerance(shape.n * p * q), 'backward weight');
      expectClose(dbias, dbiasRef, tolerance(shape.n * p * q), 'backward bias');
    });
  }
});

describe('conv2d gradients against finite differences of the reference forward', () => {
  // L = sum(y * g) in float64. Convolution is linear in x, in w and in the bias, so a central
  // difference is exact up to the float32 rounding of y: with step 0.5 that leaves about
  // 1e-7 * sqrt(outputs) / 0.5 of error; 1e-4 + 1e-4 * |grad| is well above it.
  const fdTol: Tolerance = { atol: 1e-4, rtol: 1e-4 };
  const fdCases: Case[] = [
    [2, 4, 6, 5, 4, 3, 2, 2, 1, 2, 2],
    [2, 3, 5, 6, 6, 3, 3, 1, 1, 1, 3],
    [1, 3, 4, 4, 2, 1, 1, 1, 0, 1, 1],
  ];
  for (const c of fdCases) {
    it(`shape ${c.join(',')}`, () => {
      const shape = shapeOf(c);
      const rand = seededRandom(99 + c[10]);
      const size = sizesOf(shape);
      const x = randomArray(size.x, rand), weight = randomArray(size.w, rand), bias = randomArray(shape.k, rand);
      const g = randomArray(size.y, rand);
      const y = new Float32Array(size.y);
      const loss = (): number => {
        conv2dForward({ ...shape, x, weight, bias, y }, 'ref');
        let sum = 0;
        for (let i = 0; i < y.length; i++) sum += (y[i] as number) * (g[i] as number);
        return sum;
      };
      const dx = new Float32Array(size.x), dw = new Float32Array(size.w), dbias = new Float32Array(shape.k);
      conv2dBackwardData({ ...shape, dy: g, weight, dx });
      conv2dBackwardWeight({ ...shape, x, dy: g, dw, dbias });
      const numeric = (t: Float32Array): Float64Array => Float64Array.from(t, (_, i) => finiteDifference(loss, t, i, 0.5));
      expectClose(dx, numeric(x), fdTol, 'dx');
      expectClose(dw, numeric(weight), fdTol, 'dw');
      expectClose(dbias, numeric(bias), fdTol, 'dbias');
    });
  }
});

describe('conv2d determinism', () => {
  // The last two are ResNet-18-like small maps: a 4x4 map whose 9 weight-gradient slivers of 16
  // channels are split over more tasks as threads grow, and a 2x2 map (one dense GEMM over the batch).
  it('gives identical bits for 1, 2 and 3 threads on ResNet-20/18-like layers (direct path on AVX-512)', () => {
    const before = getNumThreads();
    const layers: Case[] = [
      [9, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1], [21, 32, 7, 7, 32, 3, 3, 1, 1, 1, 1],
      [6, 24, 4, 4, 144, 3, 3, 1, 1, 1, 1], [8, 40, 2, 2, 36, 3, 3, 1, 1, 1, 1],
    ];
    for (const c of layers) {
      const shape = shapeOf(c);
      const rand = seededRandom(6);
      const size = sizesOf(shape);
      const x = randomArray(size.x, rand), weight = randomArray(size.w, rand), dy = randomArray(size.y, rand);
      const run = (threads: number): Float32Array[] => {
        setNumThreads(threads);
        const y = new Float32Array(size.y), dx = new Float32Array(size.x), dw = new Float32Array(size.w);
        conv2dForward({ ...shape, x, weight, y });
        conv2dBackwardData({ ...shape, dy, weight, dx });
        conv2dBackwardWeight({ ...shape, x, dy, dw });
        return [y, dx, dw];
      };
      try {
        const one = run(1);
        for (const threads of [2, 3]) {
          const many = run(threads);
          many.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.buffer), Buffer.from(one[i]!.buffer))).toBe(0));
        }
      } finally {
        setNumThreads(before);
      }
    }
  });

  it('gives identical bits for 1, 2 and 8 threads (1 and 2 give each thread whole images, 8 threads chunks)', () => {
    const before = getNumThreads();
    const shape = shapeOf([14, 32, 33, 33, 4, 3, 3, 1, 1, 1, 1]);
    const rand = seededRandom(5);
    const size = sizesOf(shape);
    const x = randomArray(size.x, rand), weight = randomArray(size.w, rand), dy = randomArray(size.y, rand);
    const run = (threads: number): Float32Array[] => {
      setNumThreads(threads);
      const y = new Float32Array(size.y), dx = new Float32Array(size.x), dw = new Float32Array(size.w);
      const dbias = new Float32Array(shape.k);
      conv2dForward({ ...shape, x, weight, y });
      conv2dBackwardData({ ...shape, dy, weight, dx });
      conv2dBackwardWeight({ ...shape, x, dy, dw, dbias });
      return [y, dx, dw, dbias];
    };
    try {
      const one = run(1);
      for (const threads of [2, 8]) {
        const many = run(threads);
        many.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.buffer), Buffer.from(one[i]!.buffer))).toBe(0));
      }
    } finally {
      setNumThreads(before);
    }
  });
});

describe('conv2d scratch memory', () => {
  it('stays within the chunk budget, far below a whole-batch column matrix', () => {
    // 48 images of 288 x 1089 column floats would be 60 MiB; the chunks hold at most 16 MiB (plus
    // the gathered dy of a chunk and the weight-gradient parts, each well under 4 MiB).
    const before = getNumThreads();
    const shape = shapeOf([48, 32, 33, 33, 8, 3, 3, 1, 1, 1, 1]);
    const rand = seededRandom(11);
    const size = sizesOf(shape);
    const x = randomArray(size.x, rand), weight = randomArray(size.w, rand), dy = randomArray(size.y, rand);
    try {
      for (const threads of [1, 8]) {
        setNumThreads(threads);
        resetPeakMemory();
        const live = memoryStats().liveBytes;
        conv2dForward({ ...shape, x, weight, y: new Float32Array(size.y) });
        conv2dBackwardData({ ...shape, dy, weight, dx: new Float32Array(size.x) });
        conv2dBackwardWeight({ ...shape, x, dy, dw: new Float32Array(size.w) });
        expect(memoryStats().peakBytes - live).toBeLessThanOrEqual(24 * 2 ** 20);
        expect(memoryStats().liveBytes).toBe(live);
      }
    } finally {
      setNumThreads(before);
    }
  });
});

describe('conv2d bad input', () => {
  const base = { n: 1, c: 4, h: 5, w: 5, k: 2, r: 3, s: 3 };
  const buffers = { x: new Float32Array(100), weight: new Float32Array(72), y: new Float32Array(18) };
  it('names the argument and the shape when a buffer is too short', () => {
    expect(() => conv2dForward({ ...base, ...buffers, x: new Float32Array(99) }))
      .toThrow(/conv2dForward: argument 'x' has 99 elements but needs at least 100 \(n=1, c=4, h=5, w=5, k=2, r=3, s=3/);
    expect(() => conv2dForward({ ...base, ...buffers, bias: new Float32Array(1) }))
      .toThrow(/conv2dForward: argument 'bias' has 1 elements but needs at least 2/);
    expect(() => conv2dBackwardWeight({ ...base, x: buffers.x, dy: buffers.y, dw: new Float32Array(71) }))
      .toThrow(/conv2dBackwardWeight: argument 'dw' has 71 elements but needs at least 72/);
    expect(() => conv2dBackwardData({ ...base, dy: new Float32Array(17), weight: buffers.weight, dx: buffers.x }))
      .toThrow(/conv2dBackwardData: argument 'dy' has 17 elements but needs at least 18/);
  });
  it('rejects groups that do not divide the channels, empty outputs, bad sizes and types', () => {
    expect(() => conv2dForward({ ...base, ...buffers, groups: 3 }))
      .toThrow(/conv2dForward: channels must be divisible by groups: c=4, k=2, groups=3/);
    expect(() => conv2dForward({ ...base, ...buffers, r: 7 }))
      .toThrow(/conv2dForward: the output would be empty: input 5x5 padded by 0x0 is smaller than the dilated kernel 7x3/);
    expect(() => conv2dForward({ ...base, ...buffers, dilation: 3 }))
      .toThrow(/dilated kernel 7x7/);
    expect(() => conv2dForward({ ...base, ...buffers, stride: 0 })).toThrow(/conv2dForward: argument 'strideH' must be >= 1/);
    expect(() => conv2dForward({ ...base, ...buffers, n: -1 })).toThrow(/conv2dForward: argument 'n' must be >= 0/);
    expect(() => conv2dForward({ ...base, ...buffers, h: 2.5 })).toThrow(/conv2dForward: argument 'h' must be an integer/);
    expect(() => conv2dForward({ ...base, ...buffers, c: 2 ** 40 })).toThrow(/conv2dForward: argument 'c' is too large/);
    expect(() => conv2dForward({ ...base, ...buffers, y: new Float64Array(18) as unknown as Float32Array }))
      .toThrow(/conv2dForward: argument 'y' must be a Float32Array/);
  });
});
