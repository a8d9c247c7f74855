/**
 * Test helpers for @graft/core: seeded inputs, closeness with the worst element named, float64
 * finite-difference gradient checks, and native memory snapshots.
 */
import { expect } from 'vitest';
import { memoryStats } from '@graft/native';
import { noGrad, tensor, type Tensor } from '@graft/core';

/** mulberry32: a small seeded generator for test inputs. */
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
export function randomValues(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** A float32 tensor of uniform values in [lo, hi). */
export function randomTensor(shape: number[], rand: () => number, lo = -1, hi = 1, requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randomValues(n, rand, lo, hi), { shape, requiresGrad });
}

/** `|a - e| <= atol + rtol * |e|` elementwise; on failure names the worst index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) return void expect.fail(`${label}: [${i}] expected NaN, got ${a}`);
      continue;
    }
    const over = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(over <= excess)) {
      excess = Number.isNaN(over) ? Infinity : over;
      worst = i;
    }
  }
  if (worst >= 0) expect.fail(`${label}: worst at [${worst}]: got ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
}

/** The elements of a tensor as plain numbers (row-major). */
export function values(t: Tensor): number[] {
  return Array.from(t.dataSync() as Float32Array);
}

/**
 * Checks the gradients autograd gives for `f` against central finite differences.
 * The scalar probed is L = sum(f(inputs) * R) with fixed random weights R, accumulated in float64
 * so the only float32 error is in the op itself; each input element is moved by ±h.
 */
export function gradCheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: { h?: number; atol?: number; rtol?: number; seed?: number; label?: string } = {},
): void {
  const h = opts.h ?? 1e-2;
  // float32 forward rounding (~1e-7 relative) divided by 2h, plus the O(h^2) truncation term.
  const atol = opts.atol ?? 5e-3;
  const rtol = opts.rtol ?? 5e-3;
  const label = opts.label ?? 'grad';
  const rand = seededRandom(opts.seed ?? 99);
  for (const x of inputs) x.zeroGrad();
  const out = f(...inputs);
  const weights = randomValues(out.numel, rand, -1, 1);
  const w = tensor(weights, { shape: [...out.shape] });
  out.mul(w).sum().backward();
  const lossAt = (): number =>
    noGrad(() => {
      const y = f(...inputs);
      const ys = y.dataSync() as Float32Array;
      let s = 0;
      for (let i = 0; i < ys.length; i++) s += ys[i] * weights[i];
      y.dispose();
      return s;
    });
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const data = x.storage.data as Float32Array;
    const numeric = new Float64Array(x.numel);
    for (let i = 0; i < x.numel; i++) {
      const pos = x.offset + i;
      const orig = data[pos];
      data[pos] = orig + h;
      const plus = lossAt();
      data[pos] = orig - h;
      const minus = lossAt();
      data[pos] = orig;
      numeric[i] = (plus - minus) / (2 * h);
    }
    expect(x.grad, `${label}: input ${k} has no grad`).not.toBeNull();
    expectClose(values(x.grad as Tensor), numeric, atol, rtol, `${label}: d/d input ${k}`);
  });
  w.dispose();
  out.dispose();
}

/** Native bytes alive now. */
export function liveBytes(): number {
  return memoryStats().liveBytes;
}
