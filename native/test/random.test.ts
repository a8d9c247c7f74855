import { afterAll, describe, expect, it } from 'vitest';
import {
  capabilities, dropout, dropoutBackward, getNumThreads, philox4x32, randomBernoulli, randomNormal, randomPermutation,
  randomUniform, setIsa, setNumThreads,
} from '@graft/native';
import { randomArray, seededRandom } from './helpers.js';

const bits = (a: Float32Array | Int32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array) => bits(a).equals(bits(b));

describe('Philox4x32-10 known answers', () => {
  // Random123's kat_vectors, the three "philox4x32 10" lines: counter (4 words), key (2 words), expected.
  const kat: Array<[[number, number, number, number], [number, number], number[]]> = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  it.each(kat)('counter %j key %j', (counter, key, expected) => {
    expect(philox4x32(counter, key)).toEqual(expected);
  });

  it('maps stream positions to words as documented', () => {
    // Position g reads word g % 4 of block (lo32(g/4), hi32(g/4), 0, 0) under key (lo32(seed), hi32(seed)).
    const seed = 2 ** 40 + 12345, offset = 4 * (2 ** 33 + 7) + 2;
    const out = new Float32Array(6);
    randomUniform(out, seed, offset);
    const key: [number, number] = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
    for (let i = 0; i < 6; i++) {
      const g = offset + i, block = Math.floor(g / 4);
      const word = philox4x32([block % 2 ** 32, Math.floor(block / 2 ** 32), 0, 0], key)[g % 4]!;
      expect(out[i]).toBe(Math.floor(word / 256) / 2 ** 24);
    }
  });
});

const lengths = [0, 1, 3, 4, 5, 17, 1000, 10_007];
const offsets = [0, 1, 2, 3, 5, 2 ** 40 + 3];

const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);

describe.each(isas)('fills: CPU equals the reference bit for bit (%s)', (isa) => {
  afterAll(() => void setIsa('auto'));
  for (const n of lengths) {
    for (const offset of offsets) {
      it(`n=${n} offset=${offset}`, () => {
        setIsa(isa);
        const seed = n * 7 + 1;
        const pairs: Array<[Float32Array, Float32Array]> = [];
        const a = () => new Float32Array(n);
        const u = [a(), a()], z = [a(), a()], b = [a(), a()];
        randomUniform(u[0]!, seed, offset, -2, 3);
        randomUniform(u[1]!, seed, offset, -2, 3, 'ref');
        randomNormal(z[0]!, seed, offset, 1, 0.5);
        randomNormal(z[1]!, seed, offset, 1, 0.5, 'ref');
        randomBernoulli(b[0]!, 0.3, seed, offset);
        randomBernoulli(b[1]!, 0.3, seed, offset, 'ref');
        pairs.push([u[0]!, u[1]!], [z[0]!, z[1]!], [b[0]!, b[1]!]);
        for (const [cpu, ref] of pairs) expect(sameBits(cpu, ref)).toBe(true);
        const x = randomArray(n, seededRandom(n)), y = [a(), a()], m = [new Uint8Array(n), new Uint8Array(n)];
        dropout({ x, y: y[0]!, mask: m[0]!, p: 0.3, seed, offset });
        dropout({ x, y: y[1]!, mask: m[1]!, p: 0.3, seed, offset }, 'ref');
        expect(sameBits(y[0]!, y[1]!)).toBe(true);
        expect(sameBits(m[0]!, m[1]!)).toBe(true);
      });
    }
  }

  it('splitting a call at any point gives the same stream', () => {
    setIsa(isa);
    const n = 1001, seed = 99, offset = 13;
    for (const fill of [
      (o: Float32Array, off: number) => randomUniform(o, seed, off),
      (o: Float32Array, off: number) => randomNormal(o, seed, off),
      (o: Float32Array, off: number) => randomBernoulli(o, 0.5, seed, off),
    ]) {
      const whole = new Float32Array(n);
      fill(whole, offset);
      for (const cut of [1, 2, 3, 4, 5, 500, 1000]) {
        const parts = new Float32Array(n);
        fill(parts.subarray(0, cut), offset);
        fill(parts.subarray(cut), offset + cut);
        expect(sameBits(parts, whole)).toBe(true);
      }
    }
  });

  it('gives identical bits for 1 and many threads', () => {
    setIsa(isa);
    const before = getNumThreads();
    const runs = [1, Math.max(2, before)].map((threads) => {
      setNumThreads(threads);
      const u = new Float32Array(100_003), z = new Float32Array(100_003), y = new Float32Array(100_003), m = new Uint8Array(100_003);
      randomUniform(u, 5, 3);
      randomNormal(z, 5, 3);
      dropout({ x: u, y, mask: m, p: 0.25, seed: 6, offset: 1 });
      return [u, z, y, m] as const;
    });
    setNumThreads(before);
    runs[0]!.forEach((a, k) => expect(sameBits(a, runs[1]![k]!), `output ${k}`).toBe(true));
  });

  it('uses both 32-bit halves of the seed', () => {
    const draw = (seed: number) => { const o = new Float32Array(8); randomUniform(o, seed, 0); return o; };
    const seeds = [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
    for (let i = 0; i < seeds.length; i++)
      for (let j = i + 1; j < seeds.length; j++) expect(sameBits(draw(seeds[i]!), draw(seeds[j]!))).toBe(false);
  });
});

describe('statistical sanity', () => {
  // n = 200,000 draws; each bound is 5 standard errors from the CLT, so a correct generator fails with
  // probability < 1e-6 (and, the seeds being fixed, the outcome never changes between runs).
  const n = 200_000;
  const moments = (a: Float32Array) => {
    let s = 0, s2 = 0;
    for (const v of a) s += v;
    const mean = s / a.length;
    for (const v of a) s2 += (v - mean) ** 2;
    return { mean, variance: s2 / (a.length - 1) };
  };

  it('uniform [0, 1): mean 1/2, variance 1/12, all values in range', () => {
    const u = new Float32Array(n);
    randomUniform(u, 2024, 0);
    const { mean, variance } = moments(u);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    // Var of (U - 1/2)^2 is 1/80 - 1/144.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
    expect(Math.min(...u.subarray(0, 50_000))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.subarray(0, 50_000))).toBeLessThan(1);
  });

  it('normal: mean 0, variance 1, uncorrelated neighbours (the cos/sin pair)', () => {
    const z = new Float32Array(n);
    randomNormal(z, 7, 0);
    const { mean, variance } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    // Var of Z^2 is 2.
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    let lag = 0;
    for (let i = 0; i + 1 < n; i++) lag += z[i]! * z[i + 1]!;
    expect(Math.abs(lag / (n - 1))).toBeLessThan(5 / Math.sqrt(n));
    // Fraction beyond 2 sigma: 0.0455 for a normal.
    const tail = z.reduce((c, v) => c + (Math.abs(v) > 2 ? 1 : 0), 0) / n;
    expect(Math.abs(tail - 0.0455)).toBeLessThan(5 * Math.sqrt(0.0455 * 0.9545 / n));
  });

  it('bernoulli and dropout keep the right fraction; the dropout mask is 1 - bernoulli(p)', () => {
    for (const p of [0.1, 0.5, 0.9]) {
      const b = new Float32Array(n);
      randomBernoulli(b, p, 11, 5);
      const mean = b.reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(mean - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      const x = new Float32Array(n).fill(1), y = new Float32Array(n), mask = new Uint8Array(n);
      dropout({ x, y, mask, p, seed: 11, offset: 5 });
      for (let i = 0; i < n; i += 997) expect(mask[i]).toBe(1 - b[i]!);
      // E[y] = 1 for inverted dropout.
      const ym = y.reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(ym - 1)).toBeLessThan(5 * Math.sqrt(p / (1 - p) / n));
    }
  });

  it('permutations of 3 are uniform', () => {
    const counts = new Map<string, number>();
    const out = new Int32Array(3);
    const trials = 6000;
    for (let t = 0; t < trials; t++) {
      randomPermutation(out, 3, 4 * t); // each call uses 2*(n-1) = 4 positions
      counts.set(out.join(), (counts.get(out.join()) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Each count is Binomial(6000, 1/6): sd = sqrt(6000 * 5/36) ~ 28.9.
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(5 * 28.9);
  });
});

describe('dropout and permutation semantics', () => {
  it('y = x * mask / (1 - p); p = 0 copies; p = 1 zeros; backward matches the formula', () => {
    const n = 1003;
    const x = randomArray(n, seededRandom(1));
    for (const p of [0, 0.2, 0.75, 1]) {
      for (const impl of ['cpu', 'ref'] as const) {
        const y = new Float32Array(n), mask = new Uint8Array(n);
        dropout({ x, y, mask, p, seed: 9, offset: 2 }, impl);
        const scale = p === 1 ? 0 : Math.fround(1 / (1 - p));
        for (let i = 0; i < n; i++) expect(y[i]).toBe(mask[i] ? Math.fround(x[i]! * scale) : 0);
        if (p === 0) expect(mask.every((v) => v === 1)).toBe(true);
        if (p === 1) expect(mask.every((v) => v === 0)).toBe(true);
        // Dropout is linear in x for a fixed mask: its gradient is the same map, checked exactly.
        const dy = randomArray(n, seededRandom(2)), dx = new Float32Array(n), dxRef = new Float32Array(n);
        dropoutBackward({ dy, mask, p, dx }, impl);
        dropout({ x: dy, y: dxRef, mask: new Uint8Array(n), p, seed: 9, offset: 2 }, impl);
        expect(sameBits(dx, dxRef)).toBe(true);
      }
    }
  });

  it('permutations hold every index once and match the reference', () => {
    for (const n of [0, 1, 2, 3, 7, 1000, 65_537]) {
      for (const isa of isas) {
        setIsa(isa);
        const a = new Int32Array(n), b = new Int32Array(n);
        randomPermutation(a, 17, 3);
        randomPermutation(b, 17, 3, 'ref');
        expect(sameBits(a, b)).toBe(true);
        expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    }
    setIsa('auto');
  });
});

describe('random bad input', () => {
  it('names the op and the argument', () => {
    const o = new Float32Array(4);
    expect(() => randomUniform(o, -1, 0)).toThrow(/randomUniform: argument 'seed' must be >= 0/);
    expect(() => randomUniform(o, 1.5, 0)).toThrow(/randomUniform: argument 'seed' must be an integer/);
    expect(() => randomUniform(o, 2 ** 53, 0)).toThrow(/randomUniform: argument 'seed' must be below 2\^53/);
    expect(() => randomUniform(o, 1, 0, 1, 0)).toThrow(/randomUniform: argument 'high' \(0\.0+\) is below 'low'/);
    expect(() => randomNormal(o, 1, 0, 0, -1)).toThrow(/randomNormal: argument 'std' must be >= 0/);
    expect(() => randomBernoulli(o, 1.5, 1, 0)).toThrow(/randomBernoulli: argument 'p' must be in \[0, 1\]/);
    expect(() => randomBernoulli(o, NaN, 1, 0)).toThrow(/randomBernoulli: argument 'p' must be in \[0, 1\]/);
    expect(() => dropout({ x: o, y: new Float32Array(3), mask: new Uint8Array(4), p: 0.5, seed: 1, offset: 0 }))
      .toThrow(/dropout: argument 'y' has 3 elements but 'x' has 4/);
    expect(() => dropout({ x: o, y: o.slice(), mask: new Int8Array(4) as unknown as Uint8Array, p: 0.5, seed: 1, offset: 0 }))
      .toThrow(/dropout: argument 'mask' must be a Uint8Array/);
    expect(() => dropoutBackward({ dy: o, mask: new Uint8Array(5), p: 0.5, dx: o.slice() }))
      .toThrow(/dropoutBackward: argument 'mask' has 5 elements but 'dy' has 4/);
    expect(() => randomPermutation(new Float32Array(3) as unknown as Int32Array, 1, 0))
      .toThrow(/randomPermutation: argument 'out' must be a Int32Array/);
    expect(() => philox4x32([2 ** 32, 0, 0, 0], [0, 0])).toThrow(/philox4x32: argument 'c0' must be a 32-bit word/);
  });
});
