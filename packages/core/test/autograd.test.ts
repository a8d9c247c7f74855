/**
 * Autograd semantics: accumulation, shared subexpressions, retainGraph, freed graphs, noGrad, detach,
 * explicit output gradients, requiresGrad rules and gradient ownership.
 */
import { describe, expect, test } from 'vitest';
import { tensor, ones, noGrad, isGradEnabled, tidy, zeroGrad, randn, type Tensor } from '@graft/core';

const grad = (t: Tensor): unknown => (t.grad as Tensor).toArray();

describe('backward', () => {
  test('accumulates into .grad across calls until zeroGrad', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(grad(x)).toEqual([2, 4, 6]);
    x.mul(3).sum().backward();
    expect(grad(x)).toEqual([5, 7, 9]);
    zeroGrad([x]);
    expect(x.grad).toBeNull();
  });

  test('a tensor used on several paths sums its gradients (diamond)', () => {
    const x = tensor([2], { requiresGrad: true });
    const a = x.mul(3);
    const b = x.mul(x);
    a.add(b).mul(a).sum().backward(); // (3x + x^2) * 3x = 9x^2 + 3x^3 -> 18x + 9x^2 = 72
    expect(grad(x)).toEqual([72]);
  });

  test('non-scalar outputs need a gradient of their shape', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/non-scalar output of shape \[2, 2\]/);
    expect(() => y.backward(ones([3]))).toThrow(/gradient shape \[3\] does not match the output shape \[2, 2\]/);
    y.backward(tensor([[1, 0], [0, 1]]));
    expect(grad(x)).toEqual([[2, 0], [0, 2]]);
  });

  test('the graph is freed after backward unless retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    // Two backward passes accumulate 2 * exp(x); float32 exp is within a few ulp of the double value.
    const g = (x.grad as Tensor).toArray() as number[];
    expect(g[0]).toBeCloseTo(2 * Math.E, 5);
    expect(g[1]).toBeCloseTo(2 * Math.exp(2), 4);
    expect(() => y.backward()).toThrow(/already freed/);
  });

  test('errors: no grad required, dtype rules, leaf rules', () => {
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
    expect(() => tensor([1], { dtype: 'int32' }).setRequiresGrad(true)).toThrow(/only float32 tensors can require grad/);
    const x = tensor([1], { requiresGrad: true });
    expect(() => { x.mul(2).requiresGrad = false; }).toThrow(/detach/);
  });

  test('gradients of leaves survive the tidy that computed them', () => {
    const w = randn([3], { seed: 2, requiresGrad: true });
    tidy(() => w.mul(w).sum().backward());
    expect(w.grad?.isDisposed).toBe(false);
    expect(w.grad?.shape).toEqual([3]);
  });
});

describe('recording switches', () => {
  test('noGrad records nothing and restores the mode', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  test('detach cuts the graph but shares storage', () => {
    const x = tensor([3], { requiresGrad: true });
    const d = x.detach();
    expect(d.storage).toBe(x.storage);
    x.mul(d).sum().backward();
    expect(grad(x)).toEqual([3]);
  });

  test('ops on tensors without requiresGrad record nothing', () => {
    const y = tensor([1, 2]).exp();
    expect(y.gradFn).toBeNull();
    expect(y.requiresGrad).toBe(false);
  });

  test('in-place updates of tensors that require grad need noGrad', async () => {
    const { addInPlace } = await import('@graft/core');
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => addInPlace(w, tensor([1, 1]))).toThrow(/run it inside noGrad/);
    noGrad(() => addInPlace(w, tensor([1, 1])));
    expect(w.toArray()).toEqual([2, 3]);
  });
});

describe('determinism', () => {
  test('a conv-net step gives bit-identical loss and gradients with 1 and 2 threads', async () => {
    const { setNumThreads, getNumThreads } = await import('@graft/native');
    const { functional: F, randn: rn, tensor: tn } = await import('@graft/core');
    const before = getNumThreads();
    const run = (threads: number): number[][] => {
      setNumThreads(threads);
      const w1 = rn([6, 3, 3, 3], { seed: 1, requiresGrad: true });
      const w2 = rn([5, 6 * 4 * 4], { seed: 2, requiresGrad: true });
      const x = rn([9, 3, 8, 8], { seed: 3 });
      const labels = tn(Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3]), { shape: [9] });
      const h = F.maxPool2d(F.conv2d(x, w1, null, { padding: 1 }).relu(), 2).flatten(1);
      const loss = F.crossEntropy(F.linear(h, w2), labels);
      loss.backward();
      return [[loss.item()], Array.from(w1.grad?.dataSync() ?? []), Array.from(w2.grad?.dataSync() ?? [])];
    };
    try {
      expect(run(2)).toEqual(run(1));
    } finally {
      setNumThreads(before);
    }
  });
});

describe('custom gradients', () => {
  test('record() attaches a backward function; a gradient of the wrong shape is reported', async () => {
    const { record, sum: total } = await import('@graft/core');
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const twice = record('twice', x.detach().mul(2), [x], (gy) => [gy.mul(2)]);
    twice.sum().backward();
    expect(grad(x)).toEqual([2, 2, 2]);
    const bad = record('bad', x.detach().mul(2), [x], (gy) => [total(gy)]);
    expect(() => bad.sum().backward()).toThrow("backward: 'bad' returned a gradient of shape [] for input 0 of shape [3]");
  });
});
