/**
 * lerp in @graft/core: values against the same formula composed from add/sub/mul (in float64 here),
 * broadcasting as torch.lerp, number weights, errors and analytic gradients (the finite-difference
 * checks are in grad.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { broadcastShapes, functional as F, tensor, type Tensor } from '@graft/core';
import { expectClose, randomTensor, seededRandom, values } from './helpers.js';

const rand = seededRandom(5);

/** start + weight * (end - start) in float64, with broadcasting, from the operands' values. */
function expected(a: Tensor, b: Tensor, w: Tensor): number[] {
  const [ab, bb, wb] = [a, b, w].map((t) => t.expand(...outShape(a, b, w)).contiguous());
  const [av, bv, wv] = [ab, bb, wb].map(values);
  return av.map((x, i) => x + wv[i] * (bv[i] - x));
}

function outShape(a: Tensor, b: Tensor, w: Tensor): number[] {
  return broadcastShapes('test', broadcastShapes('test', a.shape, b.shape), w.shape);
}

describe('lerp', () => {
  // Values are in [-1, 1): one float32 FMA (or three roundings) against float64 is within a few ulps of 3.
  const tol = { atol: 1e-6, rtol: 1e-6 };
  test.each([
    [[3, 5], [3, 5], [3, 5]],
    [[2, 1, 3], [4, 1], [3]],
    [[1], [6, 1], [1, 5]],
    [[0, 3], [3], [1]],
  ])('start %j, end %j, weight %j', (as, bs, ws) => {
    const [a, b, w] = [as, bs, ws].map((s) => randomTensor(s, rand));
    const out = F.lerp(a, b, w);
    expect(out.shape).toEqual(outShape(a, b, w));
    expectClose(values(out), expected(a, b, w), tol.atol, tol.rtol, 'lerp');
  });
  test('a number weight, a transposed operand and the Tensor method', () => {
    const a = randomTensor([4, 3], rand).T;
    const b = randomTensor([3, 4], rand);
    const out = a.lerp(b, 0.25);
    expectClose(values(out), expected(a, b, tensor([0.25])), 1e-6, 1e-6, 'lerp number');
    expect(values(a.lerp(b, 0))).toEqual(values(a.contiguous()));
  });
  test('errors name the op and the shapes', () => {
    const [a, b] = [randomTensor([2, 3], rand), randomTensor([4], rand)];
    expect(() => F.lerp(a, b, 0.5)).toThrow(/^lerp: cannot broadcast start \[2, 3\], end \[4\] and weight \[\]/);
    expect(() => F.lerp(a, a, tensor([1, 2], { dtype: 'int32' }))).toThrow(/^lerp: expected a float32 tensor but got int32/);
    expect(() => F.lerp(a, a, Number.NaN)).toThrow(/^lerp: weight must be a finite number/);
  });
  test('backward gives the analytic gradients through broadcasting', () => {
    const a = randomTensor([3, 4], rand, -1, 1, true);
    const b = randomTensor([4], rand, -1, 1, true);
    const w = randomTensor([3, 1], rand, -1, 1, true);
    F.lerp(a, b, w).sum().backward();
    // d/dstart = 1 - w, d/dend = sum over rows of w, d/dweight = row sums of (end - start).
    const [av, bv, wv] = [a, b, w].map(values);
    expectClose(values(a.grad as Tensor), av.map((_, i) => 1 - wv[Math.floor(i / 4)]), 1e-6, 1e-6, 'dstart');
    expectClose(values(b.grad as Tensor), bv.map(() => wv[0] + wv[1] + wv[2]), 1e-6, 1e-6, 'dend');
    const dw = [0, 1, 2].map((r) => [0, 1, 2, 3].reduce((s, c) => s + bv[c] - av[r * 4 + c], 0));
    expectClose(values(w.grad as Tensor), dw, 1e-6, 1e-6, 'dweight');
  });
});
