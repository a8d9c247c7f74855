import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bceWithLogits, capabilities, crossEntropy, getNumThreads, setIsa, setNumThreads, type CrossEntropyArgs, type Reduction,
} from '@graft/native';
import { expectClose, randomArray, randomInts, seededRandom } from './helpers.js';

// The PyTorch 1.13 values below come from (x, t, w, q, y, pw as written in each test):
//   import torch, torch.nn.functional as F
//   x = torch.tensor([[1.0, -0.5, 2.0, 0.25], [0.3, 0.8, -1.2, 0.0], [-2.0, 1.5, 0.5, 1.0]], requires_grad=True)
//   loss = F.cross_entropy(x, t, weight=w, label_smoothing=eps, reduction=r)   # or F.binary_cross_entropy_with_logits(x, y, pos_weight=pw)
//   g, = torch.autograd.grad(loss.sum(), x); print(loss.flatten().tolist(), g.flatten().tolist())
const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);

const X = Float32Array.from([1.0, -0.5, 2.0, 0.25, 0.3, 0.8, -1.2, 0.0, -2.0, 1.5, 0.5, 1.0]);
const W = Float32Array.from([0.5, 1.0, 2.0, 1.5]);
// PyTorch computes in float32: 2e-6 absolute covers its rounding and ours.
const torchTol = { atol: 2e-6, rtol: 2e-6 };

function runCe(args: Omit<CrossEntropyArgs, 'losses' | 'dlogits'>, impl: 'cpu' | 'ref' = 'cpu'): { losses: Float32Array; dlogits: Float32Array } {
  const losses = new Float32Array(args.reduction === 'none' ? args.n : 1);
  const dlogits = new Float32Array(args.n * args.c);
  crossEntropy({ ...args, losses, dlogits }, impl);
  return { losses, dlogits };
}

describe.each(isas)('crossEntropy against PyTorch (%s)', (isa) => {
  beforeEach(() => void setIsa(isa));
  afterAll(() => void setIsa('auto'));
  const cases: Array<{ name: string; args: Omit<CrossEntropyArgs, 'losses' | 'dlogits'>; loss: number[]; grad: number[] }> = [
    { name: 'plain mean (t = [2, 0, 3])', args: { logits: X, n: 3, c: 4, targets: Int32Array.from([2, 0, 3]) }, loss: [0.9882088303565979],
      grad: [0.0755210816860199, 0.0168510302901268, -0.12804576754570007, 0.035673633217811584, -0.24106547236442566, 0.15212398767471313, 0.0205877423286438, 0.06835371255874634, 0.005021329037845135, 0.16628359258174896, 0.06117231771349907, -0.23247724771499634] },
    { name: 'weights, label smoothing 0.1, ignore_index (t = [2, -100, 3])',
      args: { logits: X, n: 3, c: 4, targets: Int32Array.from([2, -100, 3]), weights: W, labelSmoothing: 0.1 }, loss: [0.8248624801635742],
      grad: [0.12103834748268127, 0.02066134288907051, -0.1898469179868698, 0.048147205263376236, 0, 0, 0, 0, 0.0027769654989242554, 0.20308710634708405, 0.06305357068777084, -0.26891764998435974] },
    { name: "reduction 'none' with smoothing 0.2",
      args: { logits: X, n: 3, c: 4, targets: Int32Array.from([2, 0, 3]), labelSmoothing: 0.2, reduction: 'none' }, loss: [0.7472312450408936, 1.3494471311569214, 1.3454482555389404],
      grad: [0.17656323313713074, 0.0005530901253223419, -0.23413729667663574, 0.0570208914577961, -0.5731964111328125, 0.40637195110321045, 0.011763222515583038, 0.15506114065647125, -0.03493601456284523, 0.44885075092315674, 0.13351695239543915, -0.5474317073822021] },
    { name: 'smoothing with an ignored sample, no weights',
      args: { logits: X, n: 3, c: 4, targets: Int32Array.from([2, -100, 3]), labelSmoothing: 0.1 }, loss: [0.9432147145271301],
      grad: [0.10078160464763641, 0.012776543386280537, -0.1545686274766922, 0.04101044312119484, 0, 0, 0, 0, -0.0049680075608193874, 0.23692536354064941, 0.07925847172737122, -0.3112158477306366] },
    { name: 'soft targets with weights and smoothing 0.1',
      args: { logits: X, n: 3, c: 4, softTargets: Float32Array.from([0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]), weights: W, labelSmoothing: 0.1 },
      loss: [1.6934691667556763],
      grad: [0.08882847428321838, -0.04423636198043823, 0.09689456224441528, -0.14148670434951782, -0.10111264884471893, 0.07913796603679657, -0.004828715696930885, 0.026803387328982353, -0.03539000824093819, 0.1245211586356163, -0.09020127356052399, 0.0010701254941523075] },
  ];
  for (const c of cases) {
    for (const impl of ['cpu', 'ref'] as const) {
      it(`${c.name} (${impl})`, () => {
        const { losses, dlogits } = runCe(c.args, impl);
        expectClose(losses, c.loss, torchTol, 'loss');
        expectClose(dlogits, c.grad, torchTol, 'dlogits');
      });
    }
  }

  it('bceWithLogits with pos_weight, mean', () => {
    const y = Float32Array.from([1.0, 0.0, 0.5, 1.0, 0.0, 1.0, 1.0, 0.2, 0.3, 0.0, 1.0, 1.0]);
    const posWeight = Float32Array.from([2.0, 0.5, 1.0, 3.0]);
    for (const impl of ['cpu', 'ref'] as const) {
      const losses = new Float32Array(1), dlogits = new Float32Array(12);
      bceWithLogits({ logits: X, targets: y, n: 3, c: 4, posWeight, losses, dlogits }, impl);
      expectClose(losses, [0.9924352765083313], torchTol, `bce ${impl}`);
      expectClose(dlogits, [-0.04482356831431389, 0.031461723148822784, 0.031733084470033646, -0.10945586115121841, 0.0478702075779438, -0.012917730025947094, -0.06404373049736023, 0.008333330042660236, -0.037086352705955505, 0.06813120096921921, -0.031461719423532486, -0.06723535060882568], torchTol, `bce grad ${impl}`);
    }
  });
});

/** float64 cross-entropy (hard or soft targets), the finite-difference model. */
function ce64(a: Omit<CrossEntropyArgs, 'losses' | 'dlogits'>, z: Float64Array): number[] {
  const { n, c } = a;
  const eps = a.labelSmoothing ?? 0, ignore = a.ignoreIndex ?? -100;
  const w = (j: number): number => (a.weights ? (a.weights[j] as number) : 1);
  const losses: number[] = [];
  let denominator = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(z.subarray(i * c, i * c + c));
    const max = Math.max(...row);
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
    const logp = row.map((v) => v - lse);
    if (a.softTargets) {
      losses.push(-logp.reduce((s, l, j) => s + w(j) * ((1 - eps) * (a.softTargets?.[i * c + j] as number) + eps / c) * l, 0));
      denominator += 1;
      continue;
    }
    const t = a.targets?.[i] as number;
    if (t === ignore) { losses.push(0); continue; }
    losses.push(-(1 - eps) * w(t) * (logp[t] as number) - (eps / c) * logp.reduce((s, l, j) => s + w(j) * l, 0));
    denominator += w(t);
  }
  const sum = losses.reduce((s, v) => s + v, 0);
  const r = a.reduction ?? 'mean';
  return r === 'none' ? losses : [r === 'sum' ? sum : sum / denominator];
}

describe.each(isas)('crossEntropy and bceWithLogits on random cases (%s)', (isa) => {
  beforeEach(() => void setIsa(isa));
  afterAll(() => void setIsa('auto'));
  const configs: Array<{ n: number; c: number; weights: boolean; smoothing: number; ignore: boolean; soft: boolean; reduction: Reduction }> = [
    { n: 1, c: 1, weights: false, smoothing: 0, ignore: false, soft: false, reduction: 'mean' },
    { n: 7, c: 13, weights: true, smoothing: 0, ignore: true, soft: false, reduction: 'mean' },
    { n: 5, c: 3, weights: true, smoothing: 0.3, ignore: true, soft: false, reduction: 'sum' },
    { n: 11, c: 10, weights: false, smoothing: 0.1, ignore: false, soft: false, reduction: 'none' },
    { n: 6, c: 9, weights: true, smoothing: 0.2, ignore: false, soft: true, reduction: 'mean' },
    { n: 4, c: 5, weights: false, smoothing: 0, ignore: false, soft: true, reduction: 'none' },
    { n: 0, c: 4, weights: false, smoothing: 0, ignore: false, soft: false, reduction: 'sum' },
    { n: 40, c: 1001, weights: true, smoothing: 0.05, ignore: true, soft: false, reduction: 'mean' },
  ];
  for (const cfg of configs) {
    it(`cpu = ref = float64 model, dlogits = finite differences: ${JSON.stringify(cfg)}`, () => {
      const rand = seededRandom(cfg.n * 13 + cfg.c);
      const logits = randomArray(cfg.n * cfg.c, rand, -4, 4);
      const targets = randomInts(cfg.n, rand, cfg.c);
      if (cfg.ignore) targets.forEach((_, i) => { if (i % 4 === 1) targets[i] = -100; });
      const soft = cfg.soft ? randomArray(cfg.n * cfg.c, rand, 0, 1) : undefined;
      const args = {
        logits, n: cfg.n, c: cfg.c, reduction: cfg.reduction, labelSmoothing: cfg.smoothing,
        ...(cfg.soft ? { softTargets: soft } : { targets }),
        ...(cfg.weights ? { weights: randomArray(cfg.c, rand, 0.2, 2) } : {}),
      };
      const cpu = runCe(args), ref = runCe(args, 'ref');
      // per-row sums run in double; the cpu rounds exp(z - max) once more: ~1e-6 relative
      expectClose(cpu.losses, ref.losses, { atol: 1e-6, rtol: 2e-6 }, 'losses cpu vs ref');
      expectClose(cpu.dlogits, ref.dlogits, { atol: 1e-7, rtol: 1e-5 }, 'dlogits cpu vs ref');
      const z = Float64Array.from(logits);
      expectClose(ref.losses, ce64(args, z), { atol: 1e-6, rtol: 1e-6 }, 'ref vs float64 model');
      // finite differences of the float64 model on a few entries (the big case samples 40)
      const total = (): number => ce64(args, z).reduce((s, v) => s + v, 0);
      const picks = Array.from({ length: Math.min(40, z.length) }, (_, k) => Math.floor((k * z.length) / Math.min(40, z.length)));
      const fd = picks.map((i) => {
        const saved = z[i] as number;
        z[i] = saved + 1e-5; const up = total();
        z[i] = saved - 1e-5; const down = total();
        z[i] = saved;
        return (up - down) / 2e-5;
      });
      // float32 gradient vs float64 FD (FD error ~1e-9): float rounding dominates
      expectClose(picks.map((i) => cpu.dlogits[i] as number), fd, { atol: 2e-6, rtol: 1e-4 }, 'dlogits vs fd');
    });
  }

  it('bceWithLogits: cpu = ref, stable for large logits, gradient = finite differences', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const [n, c] of [[1, 1], [7, 3], [3000, 5], [0, 2]] as const) {
        const rand = seededRandom(n + c);
        const logits = randomArray(n * c, rand, -30, 30);
        const targets = randomArray(n * c, rand, 0, 1);
        const posWeight = randomArray(c, rand, 0.5, 3);
        const run = (impl: 'cpu' | 'ref'): { losses: Float32Array; dlogits: Float32Array } => {
          const losses = new Float32Array(reduction === 'none' ? n * c : 1), dlogits = new Float32Array(n * c);
          bceWithLogits({ logits, targets, n, c, posWeight, reduction, losses, dlogits }, impl);
          return { losses, dlogits };
        };
        const cpu = run('cpu'), ref = run('ref');
        expect(cpu.losses.every((v) => Number.isFinite(v)) || (n === 0 && reduction === 'mean')).toBe(true);
        // float log1p/exp per element (~2 ulp) and a double sum
        expectClose(cpu.losses, ref.losses, { atol: 1e-6, rtol: 2e-6 }, `bce ${reduction} ${n}x${c}`);
        // the gradient (1-y) - lw*sigmoid(-x) subtracts terms of size up to 1 + pw (< 4): in float that
        // leaves ~4 ulp(1) = 5e-7 absolute, times the 1/(n*c) of the mean
        const gradScale = reduction === 'mean' ? 1 / Math.max(1, n * c) : 1;
        expectClose(cpu.dlogits, ref.dlogits, { atol: 1e-6 * gradScale, rtol: 2e-6 }, `bce grad ${reduction} ${n}x${c}`);
        if (n === 7) {
          const model = (x: number, i: number): number => {
            const y = targets[i] as number, pw = posWeight[i % c] as number;
            return (1 - y) * x + (1 + (pw - 1) * y) * (Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0));
          };
          const scale = reduction === 'mean' ? 1 / (n * c) : 1;
          const fd = Array.from(logits, (x, i) => (scale * (model(x + 1e-6, i) - model(x - 1e-6, i))) / 2e-6);
          expectClose(ref.dlogits, fd, { atol: 1e-6, rtol: 1e-5 }, 'bce fd');
        }
      }
    }
  });
});

describe('loss bad input and determinism', () => {
  it('names the sample of a bad target and the argument of a short buffer', () => {
    const base = { logits: new Float32Array(6), n: 2, c: 3, losses: new Float32Array(1) };
    expect(() => crossEntropy({ ...base, targets: Int32Array.from([0, 3]) }))
      .toThrow(/crossEntropy: target 3 at sample 1 is outside \[0, 3\)/);
    expect(() => crossEntropy({ ...base, targets: Int32Array.from([-1, 0]) })).toThrow(/target -1 at sample 0/);
    expect(() => crossEntropy({ ...base, targets: Int32Array.from([0, 1]), weights: new Float32Array(2) }))
      .toThrow(/crossEntropy: argument 'weights' has 2 elements but needs at least 3 \(n=2, c=3\)/);
    expect(() => crossEntropy({ ...base })).toThrow(/exactly one of 'targets' and 'softTargets'/);
    expect(() => crossEntropy({ ...base, targets: Int32Array.from([0, 1]), reduction: 'none' })).toThrow(/argument 'losses' has 1 elements but needs at least 2/);
    const logits = new Float32Array(6);
    expect(() => crossEntropy({ ...base, logits, targets: Int32Array.from([0, 1]), dlogits: logits }))
      .toThrow(/crossEntropy: argument 'dlogits' shares memory with 'logits'/);
    expect(() => bceWithLogits({ logits: new Float32Array(4), targets: new Float32Array(3), n: 4, losses: new Float32Array(1) }))
      .toThrow(/bceWithLogits: argument 'targets' has 3 elements/);
  });

  it('all samples ignored: mean is NaN (0/0, as PyTorch)', () => {
    const { losses } = runCe({ logits: new Float32Array(6), n: 2, c: 3, targets: Int32Array.from([-100, -100]) });
    expect(Number.isNaN(losses[0])).toBe(true);
  });

  it('same bits for 1 thread and for the pool', () => {
    const threads = getNumThreads();
    const rand = seededRandom(5);
    const args = { logits: randomArray(2000 * 37, rand, -3, 3), n: 2000, c: 37, targets: randomInts(2000, rand, 37), labelSmoothing: 0.1 };
    setNumThreads(1);
    const one = runCe(args);
    setNumThreads(Math.max(2, threads));
    const many = runCe(args);
    setNumThreads(threads);
    expect(Array.from(many.losses)).toEqual(Array.from(one.losses));
    expect(Buffer.from(many.dlogits.buffer).equals(Buffer.from(one.dlogits.buffer))).toBe(true);
  });
});
