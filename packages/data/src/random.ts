/**
 * Seeded random numbers. Every random choice in @graft/data (shuffles, splits, augmentations) draws
 * from an {@link Rng} derived from a user seed and a position, never from `Math.random`, so results
 * depend only on (seed, epoch, index), not on the worker count or the order work finishes in.
 */

/** Mixes a 32-bit word (the murmur3 finaliser). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Splits a safe integer seed into two 32-bit words (negative seeds are allowed). */
function words(value: number, what: string): [number, number] {
  if (!Number.isSafeInteger(value)) throw new Error(`${what}: seed must be a safe integer, got ${value}`);
  const lo = value >>> 0;
  const hi = Math.floor(value / 4294967296) >>> 0;
  return [lo, hi];
}

/**
 * Hashes integers into one 32-bit word; equal inputs give equal outputs on every platform.
 * @example
 * hashSeed(42, 3, 17); // a fixed 32-bit value
 */
export function hashSeed(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    for (const w of words(value, 'hashSeed')) h = fmix32((h ^ fmix32(Math.imul(w, 0xcc9e2d51) + 0x1b873593)) + 0x6b43a9b5);
  }
  return h;
}

/**
 * A small fast generator (sfc32) seeded from any list of integers.
 * @example
 * const rng = new Rng(7);
 * rng.next(); // in [0, 1)
 * rng.int(10); // in 0..9
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seed: number[]) {
    const h = hashSeed(...seed);
    this.a = h;
    this.b = fmix32(h ^ 0x243f6a88);
    this.c = fmix32(h ^ 0x85a308d3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** The next unsigned 32-bit integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n), n >= 1. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/**
 * The generator for one sample's augmentations: the same (seed, epoch, index) always gives the same draws.
 * @example
 * const rng = sampleRng(0, 2, 123); // seed 0, epoch 2, dataset index 123
 */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(seed, epoch, index, 0x5a3d);
}

/**
 * A seeded permutation of 0..n-1 (Fisher-Yates).
 * @example
 * permutation(5, new Rng(1)); // e.g. Int32Array [3, 0, 4, 1, 2]
 */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, rng);
  return order;
}

/**
 * Shuffles an array in place with a seeded generator (Fisher-Yates).
 * @example
 * shuffleInPlace(Int32Array.from([1, 2, 3]), new Rng(4));
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(values: T, rng: Rng): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = values[i] as number;
    values[i] = values[j] as number;
    values[j] = t;
  }
  return values;
}
