// lerp against its double reference on odd sizes (0, 1, primes, sizes off the 8-wide vector, several
// parallel_for grains), on both instruction sets and 1 or more threads, in place, with bad input; and
// the CUDA kernel against the CPU where a GPU is present.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  capabilities, cudaDownload, cudaFromArray, cudaLerp, getNumThreads, lerp, setIsa, setNumThreads,
  type DeviceBuffer,
} from '@graft/native';
import { expectClose, randomArray, seededRandom, type Tolerance } from './helpers.js';

const caps = capabilities();
const isas = caps.detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);
const sizes = [0, 1, 7, 8, 9, 31, 1000, 16_385, 65_537];
// a, b, w in [-1, 1), so |out| <= 3. The fast paths round b - a, then w * (b - a) and the sum (or
// one fused multiply-add); the reference rounds once from double: a few float32 ulps of 3 (~2.4e-7
// each) at most, so 1e-6 absolute plus 1e-6 relative, far below the error of a wrong element.
const tolerance: Tolerance = { atol: 1e-6, rtol: 1e-6 };

function inputs(n: number): [Float32Array, Float32Array, Float32Array] {
  const rand = seededRandom(n + 1);
  return [randomArray(n, rand), randomArray(n, rand), randomArray(n, rand)];
}

describe.each(isas)('lerp (%s)', (isa) => {
  afterAll(() => void setIsa('auto'));

  for (const n of sizes) {
    it(`n=${n}`, () => {
      setIsa(isa);
      const [a, b, w] = inputs(n);
      const out = new Float32Array(n), expected = new Float32Array(n);
      lerp(a, b, w, out);
      lerp(a, b, w, expected, 'ref');
      expectClose(out, expected, tolerance, `lerp n=${n}`);
    });
  }

  it('the same bits on 1 thread and on the pool', () => {
    setIsa(isa);
    const threads = getNumThreads();
    const [a, b, w] = inputs(100_003);
    const pooled = new Float32Array(a.length), single = new Float32Array(a.length);
    lerp(a, b, w, pooled);
    try {
      setNumThreads(1);
      lerp(a, b, w, single);
    } finally {
      setNumThreads(threads);
    }
    expect(single).toEqual(pooled);
  });

  it('out may be a, b or w itself', () => {
    setIsa(isa);
    const [a, b, w] = inputs(37);
    const expected = new Float32Array(37);
    lerp(a, b, w, expected);
    for (const which of [0, 1, 2]) {
      const args = [a.slice(), b.slice(), w.slice()] as const;
      lerp(args[0], args[1], args[2], args[which]);
      expect(args[which]).toEqual(expected);
    }
  });

  it('the ends: w = 0 gives a, w = 1 gives b within one rounding of b - a', () => {
    setIsa(isa);
    const [a, b] = inputs(19);
    const out = new Float32Array(19);
    lerp(a, b, new Float32Array(19), out);
    expect(out).toEqual(a);
    lerp(a, b, new Float32Array(19).fill(1), out);
    expectClose(out, b, { atol: 3e-7, rtol: 0 }, 'lerp w=1'); // |a|, |b| < 1: one ulp of 2 is 2.4e-7
  });
});

describe('lerp argument checks', () => {
  const n = 4;
  const ok = () => new Float32Array(n);
  it.each([
    ['b', () => lerp(ok(), new Float32Array(3), ok(), ok())],
    ['w', () => lerp(ok(), ok(), new Float32Array(3), ok())],
    ['out', () => lerp(ok(), ok(), ok(), new Float32Array(3))],
  ] as Array<[string, () => void]>)('a short %s names it and the length', (name, call) => {
    expect(call).toThrow(new RegExp(`^lerp: argument '${name}' has 3 elements but needs at least 4 \\(n=4`));
  });
  it('rejects a non-Float32Array and a missing argument', () => {
    expect(() => lerp(ok(), ok(), new Int32Array(n) as unknown as Float32Array, ok())).toThrow(/^lerp: argument 'w'/);
    const raw = lerp as unknown as (...args: Float32Array[]) => void;
    expect(() => raw(ok(), ok(), ok())).toThrow(/^lerp: /);
  });
  it('rejects out overlapping an input at another offset', () => {
    const buffer = new Float32Array(9);
    const [b, w] = [new Float32Array(8), new Float32Array(8)];
    expect(() => lerp(buffer.subarray(0, 8), b, w, buffer.subarray(1, 9))).toThrow(/^lerp: argument 'a' overlaps 'out'/);
    expect(() => lerp(b, buffer.subarray(1, 9), w, buffer.subarray(0, 8))).toThrow(/^lerp: argument 'b' overlaps 'out'/);
  });
  it('the reference checks the same way', () => {
    expect(() => lerp(ok(), ok(), new Float32Array(3), ok(), 'ref')).toThrow(/^lerp: argument 'w'/);
  });
});

const hasCuda = caps.cudaDevices.length > 0;
const why = hasCuda ? '' : ` (skipped: no CUDA device: ${caps.cudaUnavailableReason})`;

describe.skipIf(!hasCuda)(`cudaLerp${why}`, () => {
  const made: DeviceBuffer[] = [];
  const dev = (data: Float32Array): DeviceBuffer => {
    const buffer = cudaFromArray(data);
    made.push(buffer);
    return buffer;
  };
  afterEach(() => made.splice(0).forEach((buffer) => buffer.dispose()));

  for (const n of [1, 9, 1000, 65_537]) {
    it(`n=${n} against the reference, in place into a`, () => {
      const [a, b, w] = inputs(n);
      const expected = new Float32Array(n), out = new Float32Array(n);
      lerp(a, b, w, expected, 'ref');
      const da = dev(a);
      cudaLerp(da, dev(b), dev(w), da);
      cudaDownload(da, out);
      expectClose(out, expected, tolerance, `cudaLerp n=${n}`); // one fmaf, as the AVX2 path
    });
  }

  it('a short w names it', () => {
    expect(() => cudaLerp(dev(new Float32Array(4)), dev(new Float32Array(4)), dev(new Float32Array(3)), dev(new Float32Array(4))))
      .toThrow(/^cudaLerp: argument 'w' has 3 elements but needs at least 4/);
  });
});
