import { describe, expect, it } from 'vitest';
import { LRScheduler, lrMultiplier, validateSchedule } from '../src/schedules.js';

describe('learning-rate schedules', () => {
  it('warms up linearly then decays linearly to zero (Hugging Face linear schedule)', () => {
    const o = { name: 'linear' as const, totalSteps: 110, warmupSteps: 10 };
    expect(lrMultiplier(o, 0)).toBe(0);
    expect(lrMultiplier(o, 5)).toBe(0.5);
    expect(lrMultiplier(o, 10)).toBe(1);
    expect(lrMultiplier(o, 60)).toBe(0.5);
    expect(lrMultiplier(o, 110)).toBe(0);
  });

  it('cosine ends at zero and passes 0.5 half way', () => {
    const o = { name: 'cosine' as const, totalSteps: 100 };
    expect(lrMultiplier(o, 0)).toBe(1);
    expect(lrMultiplier(o, 50)).toBeCloseTo(0.5, 12);
    expect(lrMultiplier(o, 100)).toBeCloseTo(0, 12);
  });

  // Debian PyTorch 1.13:
  //   o = SGD([p], lr=1); s = OneCycleLR(o, max_lr=1, total_steps=10)
  //   for _ in range(10): lrs.append(o.param_groups[0]['lr']); o.step(); s.step()
  it('one-cycle matches PyTorch OneCycleLR step by step', () => {
    const torchLrs = [0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893,
      0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-06];
    const o = { name: 'onecycle' as const, totalSteps: 10 };
    torchLrs.forEach((lr, step) => expect(lrMultiplier(o, step)).toBeCloseTo(lr, 12));
  });

  it('step decay multiplies by gamma every stepSize steps', () => {
    const o = { name: 'step' as const, totalSteps: 100, stepSize: 30, gamma: 0.1 };
    expect(lrMultiplier(o, 29)).toBe(1);
    expect(lrMultiplier(o, 30)).toBeCloseTo(0.1, 15);
    expect(lrMultiplier(o, 95)).toBeCloseTo(0.001, 15);
  });

  it('drives each parameter group from its own base rate and resumes from its state', () => {
    const opt = { paramGroups: [{ lr: 0.1 }, { lr: 0.01 }] };
    const s = new LRScheduler(opt, { name: 'linear', totalSteps: 10 });
    for (let i = 0; i < 5; i++) s.step();
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.05, 12);
    expect(opt.paramGroups[1]!.lr).toBeCloseTo(0.005, 12);
    const other = { paramGroups: [{ lr: 0.1 }, { lr: 0.01 }] };
    const resumed = new LRScheduler(other, { name: 'linear', totalSteps: 10 });
    resumed.loadStateDict(s.stateDict());
    expect(other.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
  });

  it('rejects bad settings by name', () => {
    expect(() => validateSchedule({ name: 'warp' as never, totalSteps: 1 })).toThrow(/lrScheduler must be one of/);
    expect(() => validateSchedule({ name: 'step', totalSteps: 10 })).toThrow(/stepSize must be an integer >= 1/);
    expect(() => validateSchedule({ name: 'cosine', totalSteps: 0 })).toThrow(/totalSteps must be an integer >= 1/);
  });
});
