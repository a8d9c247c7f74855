/**
 * Deterministic memory: scopes dispose what they created, views share one storage, the autograd graph
 * frees its saved tensors after backward, and a small conv-net training loop leaves native live bytes
 * exactly where they started after every step.
 */
import { describe, expect, test } from 'vitest';
import {
  tidy, keep, zeros, full, randn, tensor, noGrad, binaryInPlace, mul, functional as F, type Tensor,
} from '@graft/core';
import { liveBytes } from './helpers.js';

describe('scopes and reference counts', () => {
  test('tidy disposes intermediates, keeps the result and kept tensors', () => {
    const before = liveBytes();
    let kept: Tensor | undefined;
    const out = tidy(() => {
      const a = zeros([100]);
      const b = a.add(1);
      kept = keep(b.mul(2));
      return b.sum();
    });
    expect(out.isDisposed).toBe(false);
    expect(kept?.isDisposed).toBe(false);
    expect(liveBytes() - before).toBe(4 + 400);
    out.dispose();
    kept?.dispose();
    expect(liveBytes()).toBe(before);
  });

  test('nested tidy moves returned tensors to the outer scope; arrays and objects are returned too', () => {
    const before = liveBytes();
    tidy(() => {
      const inner = tidy(() => ({ a: zeros([10]), list: [zeros([5])] }));
      expect(inner.a.isDisposed).toBe(false);
      expect(inner.list[0].isDisposed).toBe(false);
    });
    expect(liveBytes()).toBe(before);
  });

  test('a throwing function still frees what it made', () => {
    const before = liveBytes();
    expect(() => tidy(() => {
      zeros([50]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(liveBytes()).toBe(before);
  });

  test('views share storage; memory is freed when the last view goes', () => {
    const before = liveBytes();
    const x = zeros([4, 4]);
    const v = x.T;
    const s = x.slice(0, 1, 3);
    expect(v.storage).toBe(x.storage);
    x.dispose();
    expect(liveBytes() - before).toBe(64);
    expect(s.sum().item()).toBe(0);
    v.dispose();
    s.dispose();
    expect(liveBytes()).toBeLessThanOrEqual(before + 4);
  });

  test('backward frees the saved tensors of the graph', () => {
    const w = randn([32, 32], { seed: 1, requiresGrad: true });
    const base = liveBytes();
    const loss = tidy(() => w.matmul(w).tanh().sum());
    // The graph still holds the saved inputs and outputs after tidy.
    expect(liveBytes()).toBeGreaterThan(base + 4);
    loss.backward();
    loss.dispose();
    expect(liveBytes()).toBe(base + 32 * 32 * 4); // only w.grad is new
    w.dispose();
  });
});

/** A small conv net as plain parameters, trained with SGD through in-place ops. */
function makeNet(): Record<string, Tensor> {
  let seed = 100;
  const p = (shape: number[], std: number): Tensor => keep(randn(shape, { seed: seed++, std, requiresGrad: true }));
  return {
    w1: p([8, 1, 3, 3], 0.3), b1: keep(zeros([8], { requiresGrad: true })),
    g1: keep(full([8], 1, { requiresGrad: true })), be1: keep(zeros([8], { requiresGrad: true })),
    w2: p([16, 8, 3, 3], 0.1), w3: p([10, 16], 0.2), b3: keep(zeros([10], { requiresGrad: true })),
  };
}

function trainStep(net: Record<string, Tensor>, stats: Tensor[], step: number): number {
  return tidy(() => {
    const x = randn([8, 1, 12, 12], { seed: 5000 + step });
    const labels = tensor(Int32Array.from({ length: 8 }, (_, i) => (i * 7 + step) % 10), { shape: [8] });
    let h = F.conv2d(x, net.w1, net.b1, { padding: 1 });
    h = F.batchNorm(h, stats[0], stats[1], net.g1, net.be1, { training: true });
    h = F.maxPool2d(h.relu(), 2);
    h = F.conv2d(h, net.w2, null, { padding: 1, stride: 2 }).relu();
    h = F.adaptiveAvgPool2d(h, 1).flatten(1);
    const loss = F.crossEntropy(F.dropout(F.linear(h, net.w3, net.b3), 0.1, { seed: step }), labels);
    loss.backward();
    noGrad(() => {
      for (const t of Object.values(net)) {
        const update = mul(t.grad as Tensor, 0.05);
        binaryInPlace('sub', t, update);
        update.dispose();
      }
    });
    for (const t of Object.values(net)) t.zeroGrad();
    return loss.item();
  });
}

describe('training loop', () => {
  test('300 steps: native live bytes return to the same value after every step', () => {
    const net = makeNet();
    const stats = [keep(zeros([8])), keep(full([8], 1))];
    const base = liveBytes();
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) {
      losses.push(trainStep(net, stats, step));
      const now = liveBytes();
      if (now !== base) expect.fail(`step ${step}: ${now - base} bytes more than before the loop`);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    [...Object.values(net), ...stats].forEach((t) => t.dispose());
  });
});

describe('gradients of disposed leaves', () => {
  test('backward through a graph whose leaf was disposed frees that gradient', () => {
    const before = liveBytes();
    const w = randn([16], { seed: 4, requiresGrad: true });
    const loss = tidy(() => w.mul(w).sum());
    w.dispose();
    loss.backward();
    loss.dispose();
    expect(liveBytes()).toBe(before);
  });
});
