/**
 * Test helpers shared by the kernel suites: a seeded RNG, random arrays, and a closeness check that
 * reports the worst element, so a failure says where and by how much.
 */
import { expect } from 'vitest';

/** mulberry32: a tiny seeded generator; good enough to make test inputs, never used by kernels. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi). */
export function randomArray(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Integers in [0, hi). */
export function randomInts(n: number, rand: () => number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * hi);
  return out;
}

/** Tolerance `|a - e| <= atol + rtol * |e|`. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Asserts every element is within tolerance; on failure names the worst index and both values.
 * NaN must match NaN; infinities must match exactly.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: string,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        worst = i;
        worstExcess = Infinity;
        break;
      }
      continue;
    }
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol})`,
    );
  }
}

/** Central finite difference of a scalar function f at x[i] (x is restored). */
export function finiteDifference(f: () => number, x: Float32Array | Float64Array, i: number, h: number): number {
  const saved = x[i] as number;
  x[i] = saved + h;
  const up = f();
  x[i] = saved - h;
  const down = f();
  x[i] = saved;
  return (up - down) / (2 * h);
}
