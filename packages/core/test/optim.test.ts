import { describe, expect, it } from 'vitest';
import { Generator } from '../src/nn/init.js';
import { zerosKept } from '../src/nn/module.js';
import { Adam, AdamW, SGD, clipGradNorm } from '../src/optim/index.js';
import type { Tensor } from '../src/tensor/tensor.js';

const gen = new Generator(7);

function param(n: number): Tensor {
  const p = zerosKept([n]).setRequiresGrad(true);
  p.dataSync().set(gen.normal(n, 0, 1));
  return p;
}

function setGrad(p: Tensor, values: Float32Array): void {
  p.zeroGrad();
  const g = zerosKept([p.numel]);
  g.dataSync().set(values);
  p.grad = g;
}

/** float64 reference of torch.optim.SGD for one parameter over several gradients. */
function sgdReference(
  p0: Float64Array, grads: Float32Array[], o: { lr: number; momentum: number; dampening: number; wd: number; nesterov: boolean },
): Float64Array {
  const p = Float64Array.from(p0);
  let buf: Float64Array | null = null;
  for (const g of grads) {
    const d = Float64Array.from(g, (v, i) => v + o.wd * p[i]);
    if (o.momentum !== 0) {
      if (buf === null) buf = Float64Array.from(d);
      else for (let i = 0; i < d.length; i++) buf[i] = o.momentum * buf[i] + (1 - o.dampening) * d[i];
      for (let i = 0; i < d.length; i++) d[i] = o.nesterov ? d[i] + o.momentum * buf[i] : buf[i];
    }
    for (let i = 0; i < d.length; i++) p[i] -= o.lr * d[i];
  }
  return p;
}

/** float64 reference of torch.optim.Adam / AdamW. */
function adamReference(p0: Float64Array, grads: Float32Array[], o: { lr: number; wd: number; decoupled: boolean; amsgrad: boolean }): Float64Array {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length), v = new Float64Array(p.length), vmax = new Float64Array(p.length);
  grads.forEach((g, t) => {
    const step = t + 1;
    for (let i = 0; i < p.length; i++) {
      let gi = g[i];
      if (o.decoupled) p[i] *= 1 - o.lr * o.wd;
      else gi += o.wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      vmax[i] = Math.max(vmax[i], v[i]);
      const denom = Math.sqrt(o.amsgrad ? vmax[i] : v[i]) / Math.sqrt(1 - b2 ** step) + eps;
      p[i] -= (o.lr / (1 - b1 ** step)) * (m[i] / denom);
    }
  });
  return p;
}

/** Max of |a - b| / (atol + rtol |b|). */
function maxScaledError(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return worst;
}

describe.each([1, 7, 33, 1000])('optimizers on a parameter of %i elements', (n) => {
  const grads = Array.from({ length: 4 }, () => gen.normal(n, 0, 1));

  it.each([
    { lr: 0.1, momentum: 0, dampening: 0, wd: 0, nesterov: false },
    { lr: 0.1, momentum: 0.9, dampening: 0, wd: 5e-4, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, wd: 1e-2, nesterov: false },
    { lr: 0.05, momentum: 0.8, dampening: 0, wd: 1e-3, nesterov: true },
  ])('SGD %o matches the float64 reference over 4 steps', (o) => {
    const p = param(n);
    const p0 = Float64Array.from(p.dataSync());
    const opt = new SGD([p], { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.wd, nesterov: o.nesterov });
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    // float32 updates of O(1) values over 4 steps: a few ulps each, 1e-5 relative leaves room.
    expect(maxScaledError(p.dataSync(), sgdReference(p0, grads, o), 1e-6, 1e-5)).toBeLessThan(1);
  });

  it.each([
    { lr: 1e-2, wd: 0, decoupled: false, amsgrad: false },
    { lr: 1e-2, wd: 1e-2, decoupled: false, amsgrad: true },
    { lr: 1e-2, wd: 1e-1, decoupled: true, amsgrad: false },
  ])('Adam/AdamW %o matches the float64 reference over 4 steps', (o) => {
    const p = param(n);
    const p0 = Float64Array.from(p.dataSync());
    const Ctor = o.decoupled ? AdamW : Adam;
    const opt = new Ctor([p], { lr: o.lr, weightDecay: o.wd, amsgrad: o.amsgrad });
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    // Adam's step is ~lr per element whatever the gradient; float32 rounding of m/sqrt(v) ~1e-6 relative.
    expect(maxScaledError(p.dataSync(), adamReference(p0, grads, o), 1e-6, 1e-5)).toBeLessThan(1);
  });
});

describe('optimizer mechanics', () => {
  it('parameter groups use their own hyperparameters; parameters without grad are skipped', () => {
    const a = param(5), b = param(5), c = param(5);
    const [a0, b0, c0] = [a, b, c].map((t) => Float64Array.from(t.dataSync()));
    const g = gen.normal(5, 0, 1);
    const opt = new SGD([{ params: [a], lr: 0.01 }, { params: [b, c] }], { lr: 0.1 });
    setGrad(a, g);
    setGrad(b, g);
    opt.step();
    const o = { momentum: 0, dampening: 0, wd: 0, nesterov: false };
    expect(maxScaledError(a.dataSync(), sgdReference(a0, [g], { ...o, lr: 0.01 }), 1e-7, 1e-6)).toBeLessThan(1);
    expect(maxScaledError(b.dataSync(), sgdReference(b0, [g], { ...o, lr: 0.1 }), 1e-7, 1e-6)).toBeLessThan(1);
    expect(Array.from(c.dataSync())).toEqual(Array.from(c0, Math.fround));
    expect(opt.paramGroups.map((x) => x.lr)).toEqual([0.01, 0.1]);
  });

  it('zeroGrad frees gradients', () => {
    const p = param(3);
    setGrad(p, new Float32Array(3));
    new SGD([p], { lr: 1 }).zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('a restored state dict continues exactly like the original', () => {
    const grads = Array.from({ length: 4 }, () => gen.normal(9, 0, 1));
    for (const make of [
      (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }),
      (ps: Tensor[]) => new AdamW(ps, { lr: 1e-2, amsgrad: true }),
    ]) {
      const p = param(9);
      const q = zerosKept([9]).setRequiresGrad(true);
      q.dataSync().set(p.dataSync());
      const opt = make([p]);
      for (const g of grads.slice(0, 2)) { setGrad(p, g); opt.step(); }
      q.dataSync().set(p.dataSync());
      const saved = opt.stateDict();
      const resumed = make([q]);
      resumed.loadStateDict(saved);
      for (const g of grads.slice(2)) {
        setGrad(p, g); opt.step();
        setGrad(q, g); resumed.step();
      }
      expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
    }
  });

  it('loadStateDict checks before changing anything', () => {
    const p = param(4);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p, gen.normal(4, 0, 1));
    opt.step();
    const saved = opt.stateDict();
    expect(() => new SGD([param(5)], { lr: 0.1, momentum: 0.9 }).loadStateDict(saved)).toThrow(/'momentumBuffer' of parameter 0 has 4 elements/);
    expect(() => new SGD([param(4), param(4)], { lr: 0.1 }).loadStateDict(saved)).toThrow(/group 0 has 1 parameters, expected 2/);
  });

  it('rejects bad options naming the optimizer and the option', () => {
    expect(() => new SGD([param(2)], { lr: -1 })).toThrow(/SGD: option 'lr' must be a finite number >= 0, got -1/);
    expect(() => new SGD([param(2)], { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new Adam([param(2)], { beta1: 1 })).toThrow(/Adam: option 'beta1' must be in \[0, 1\)/);
    const p = param(2);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(/more than one group/);
  });
});

describe('clipGradNorm', () => {
  it('scales every gradient by maxNorm / (total + 1e-6) and returns the total', () => {
    const ps = [param(3), param(1), param(17)];
    const gs = ps.map((p) => gen.normal(p.numel, 0, 2));
    ps.forEach((p, i) => setGrad(p, gs[i]));
    const noGrad = param(2);
    let total = 0;
    for (const g of gs) for (const v of g) total += v * v;
    total = Math.sqrt(total);
    expect(clipGradNorm([...ps, noGrad], 1)).toBeCloseTo(total, 4);
    const scale = 1 / (total + 1e-6);
    // One float32 multiply per element: relative error <= 2^-23 plus the norm's rounding.
    ps.forEach((p, i) => expect(maxScaledError(p.grad!.dataSync(), Float64Array.from(gs[i], (v) => v * scale), 1e-7, 1e-5)).toBeLessThan(1));
    expect(clipGradNorm([noGrad], 1)).toBe(0);
    expect(() => clipGradNorm(ps, -1)).toThrow(/clipGradNorm: argument 'maxNorm'/);
  });
});
