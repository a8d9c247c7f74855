import { afterAll, describe, expect, it } from 'vitest';
import {
  adamStep, capabilities, clipGradNorm, setIsa, setNumThreads, getNumThreads, sgdStep, sumOfSquares,
  type AdamStepArgs, type SgdStepArgs,
} from '@graft/native';
import { expectClose, randomArray, seededRandom } from './helpers.js';

const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);
const sizes = [0, 1, 7, 8, 13, 31, 1000, 40_003];

type SgdConfig = Omit<SgdStepArgs, 'param' | 'grad' | 'momentumBuffer' | 'firstStep'>;
type AdamConfig = Omit<AdamStepArgs, 'param' | 'grad' | 'expAvg' | 'expAvgSq' | 'maxExpAvgSq' | 'step'>;

const sgdConfigs: SgdConfig[] = [
  { lr: 0.1 },
  { lr: 0.1, momentum: 0.9 },
  { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
  { lr: 0.05, momentum: 0.8, nesterov: true, maximize: true, weightDecay: 1e-3 },
];
const adamConfigs: AdamConfig[] = [
  { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
  { lr: 2e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupledWeightDecay: true, amsgrad: true },
  { lr: 1e-2, beta1: 0.5, beta2: 0.9, eps: 1e-8, maximize: true, amsgrad: true },
];

/** Runs `steps` SGD steps from seeded inputs; returns the parameter and buffer. */
function runSgd(n: number, config: SgdConfig, steps: number, impl: 'cpu' | 'ref') {
  const rand = seededRandom(n + 17);
  const param = randomArray(n, rand);
  const momentumBuffer = new Float32Array(n);
  for (let step = 0; step < steps; step++) {
    const grad = randomArray(n, rand);
    sgdStep({ ...config, param, grad, momentumBuffer, firstStep: step === 0 }, impl);
  }
  return { param, momentumBuffer };
}

function runAdam(n: number, config: AdamConfig, steps: number, impl: 'cpu' | 'ref') {
  const rand = seededRandom(n + 29);
  const param = randomArray(n, rand);
  const expAvg = new Float32Array(n), expAvgSq = new Float32Array(n), maxExpAvgSq = new Float32Array(n);
  for (let step = 1; step <= steps; step++) {
    const grad = randomArray(n, rand);
    adamStep({ ...config, param, grad, expAvg, expAvgSq, maxExpAvgSq, step }, impl);
  }
  return { param, expAvg, expAvgSq, maxExpAvgSq };
}

describe.each(isas)('optimizers vs float64 reference (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  // Tolerance: the CPU kernel rounds every intermediate to float32 while the reference rounds once per
  // stored value; over 5 steps with |values| <= ~2 the drift is a few float32 ulps: atol 2e-6, rtol 1e-5.
  for (const n of sizes) {
    sgdConfigs.forEach((config, c) => {
      it(`sgd n=${n} config ${c}`, () => {
        setIsa(isa);
        const cpu = runSgd(n, config, 5, 'cpu'), ref = runSgd(n, config, 5, 'ref');
        expectClose(cpu.param, ref.param, { atol: 2e-6, rtol: 1e-5 }, 'param');
        expectClose(cpu.momentumBuffer, ref.momentumBuffer, { atol: 2e-6, rtol: 1e-5 }, 'momentumBuffer');
      });
    });
    adamConfigs.forEach((config, c) => {
      it(`adam n=${n} config ${c}`, () => {
        setIsa(isa);
        const cpu = runAdam(n, config, 5, 'cpu'), ref = runAdam(n, config, 5, 'ref');
        // Adam divides by sqrt(v)+eps: float32 rounding of v (~1e-7 relative) moves the step by ~lr*1e-7.
        expectClose(cpu.param, ref.param, { atol: 2e-6, rtol: 1e-5 }, 'param');
        expectClose(cpu.expAvg, ref.expAvg, { atol: 1e-6, rtol: 1e-5 }, 'expAvg');
        expectClose(cpu.expAvgSq, ref.expAvgSq, { atol: 1e-7, rtol: 1e-5 }, 'expAvgSq');
        expectClose(cpu.maxExpAvgSq, ref.maxExpAvgSq, { atol: 1e-7, rtol: 1e-5 }, 'maxExpAvgSq');
      });
    });
    it(`sumOfSquares n=${n}`, () => {
      setIsa(isa);
      const x = randomArray(n, seededRandom(n + 3));
      // Both accumulate in double; only the summation order differs: relative 1e-12 is generous.
      expect(Math.abs(sumOfSquares(x) - sumOfSquares(x, 'ref'))).toBeLessThanOrEqual(1e-12 * (1 + sumOfSquares(x, 'ref')));
    });
  }

  it('clipGradNorm matches the reference for p = 2, 1, 3 and Infinity, clipped or not', () => {
    setIsa(isa);
    for (const normType of [2, 1, 3, Infinity]) {
      for (const maxNorm of [0.5, 1e6]) {
        const rand = seededRandom(normType === Infinity ? 99 : normType);
        const grads = [randomArray(0, rand), randomArray(1, rand), randomArray(37, rand), randomArray(20_011, rand)];
        const copies = grads.map((g) => g.slice());
        const total = clipGradNorm(grads, maxNorm, normType);
        const totalRef = clipGradNorm(copies, maxNorm, normType, 'ref');
        // Double accumulation in different orders (pow for p != 2): relative 1e-10.
        expect(Math.abs(total - totalRef)).toBeLessThanOrEqual(1e-10 * totalRef);
        // Scaled in float32 (CPU) vs double then rounded (reference): 1 ulp.
        grads.forEach((g, k) => expectClose(g, copies[k] as Float32Array, { atol: 1e-9, rtol: 2e-7 }, `grad ${k}`));
      }
    }
  });
});

describe('optimizers vs PyTorch 1.13', () => {
  // Made with Debian's python3-torch 1.13:
  //   n = 7
  //   def param0(): return torch.tensor([((i * 7) % 11 - 5) / 10 for i in range(n)], dtype=torch.float32)
  //   def grad(k): return torch.tensor([((i * 3 + k * 5) % 13 - 6) / 8 for i in range(n)], dtype=torch.float32)
  //   def run(make):
  //       p = torch.nn.Parameter(param0()); opt = make([p])
  //       for k in range(4): p.grad = grad(k); opt.step()
  //       return p.detach().tolist()
  //   run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01))       # sgd
  //   run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, maximize=True))          # nesterov
  //   run(lambda ps: torch.optim.SGD(ps, lr=0.3))                                                       # plain
  //   run(lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01))   # adam
  //   run(lambda ps: torch.optim.AdamW(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True))
  //   run(lambda ps: torch.optim.Adam(ps, lr=0.01, maximize=True))                                      # adam max
  const n = 7;
  const param0 = () => Float32Array.from({ length: n }, (_, i) => (((i * 7) % 11) - 5) / 10);
  const grad = (k: number) => Float32Array.from({ length: n }, (_, i) => (((i * 3 + k * 5) % 13) - 6) / 8);
  const torchSgd: Array<[SgdConfig, number[]]> = [
    [{ lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
      [-0.2484566569328308, 0.40550389885902405, -0.3089553415775299, 0.46309924125671387, -0.10510995984077454, -0.26205161213874817, 0.3919089436531067]],
    [{ lr: 0.05, momentum: 0.8, nesterov: true, maximize: true },
      [-0.6285099983215332, 0.0711200013756752, -0.13099999725818634, 0.5270299911499023, 0.17866000533103943, -0.29659003019332886, 0.4030400216579437]],
    [{ lr: 0.3 },
      [-0.23749998211860657, 0.5, -0.3500000238418579, 0.38749998807907104, 0.025000013411045074, -0.33750003576278687, 0.4000000059604645]],
  ];
  const torchAdam: Array<[AdamConfig, number[]]> = [
    [{ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
      [-0.4765115976333618, 0.22310464084148407, -0.20213307440280914, 0.4925297796726227, 0.08011440187692642, -0.2893413305282593, 0.4055541455745697]],
    [{ lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupledWeightDecay: true, amsgrad: true },
      [-0.4525529444217682, 0.24438044428825378, -0.22259947657585144, 0.4822586476802826, 0.0630175843834877, -0.28009235858917236, 0.4084666967391968]],
    [{ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, maximize: true },
      [-0.5232888460159302, 0.17677313089370728, -0.18775413930416107, 0.5071700811386108, 0.1198437288403511, -0.3104853332042694, 0.39416033029556274]],
  ];

  // PyTorch also computes in float32 but may fuse multiply-adds differently: a few ulps over 4 steps.
  const tol = { atol: 1e-6, rtol: 4e-6 };
  for (const impl of ['cpu', 'ref'] as const) {
    torchSgd.forEach(([config, expected], c) => {
      it(`SGD config ${c} (${impl})`, () => {
        const param = param0(), momentumBuffer = new Float32Array(n);
        for (let k = 0; k < 4; k++) sgdStep({ ...config, param, grad: grad(k), momentumBuffer, firstStep: k === 0 }, impl);
        expectClose(param, expected, tol, 'param');
      });
    });
    torchAdam.forEach(([config, expected], c) => {
      it(`Adam config ${c} (${impl})`, () => {
        const param = param0(), expAvg = new Float32Array(n), expAvgSq = new Float32Array(n), maxExpAvgSq = new Float32Array(n);
        for (let k = 0; k < 4; k++) adamStep({ ...config, param, grad: grad(k), expAvg, expAvgSq, maxExpAvgSq, step: k + 1 }, impl);
        expectClose(param, expected, tol, 'param');
      });
    });

    // gs = [grad(0), grad(1)[:3]]; ps = parameters with p.grad = g
    // torch.nn.utils.clip_grad_norm_(ps, 1.0) and, from fresh copies, clip_grad_norm_(ps, 0.5, norm_type=inf)
    it(`clip_grad_norm_ (${impl})`, () => {
      const two = [grad(0), grad(1).slice(0, 3)];
      expect(clipGradNorm(two, 1.0, 2, impl)).toBeCloseTo(1.4630874395370483, 6);
      expectClose(two[0] as Float32Array, [-0.5126142501831055, -0.25630712509155273, 0.0, 0.25630712509155273, 0.5126142501831055, -0.3417428433895111, -0.08543571084737778], tol, 'clip2 g0');
      expectClose(two[1] as Float32Array, [-0.08543571084737778, 0.17087142169475555, 0.4271785616874695], tol, 'clip2 g1');
      const inf = [grad(0), grad(1).slice(0, 3)];
      expect(clipGradNorm(inf, 0.5, Infinity, impl)).toBe(0.75);
      expectClose(inf[0] as Float32Array, [-0.49999934434890747, -0.24999967217445374, 0.0, 0.24999967217445374, 0.49999934434890747, -0.333332896232605, -0.08333322405815125], tol, 'clipinf g0');
      expectClose(inf[1] as Float32Array, [-0.08333322405815125, 0.1666664481163025, 0.4166661202907562], tol, 'clipinf g1');
    });
  }
});

describe('optimizer determinism and bad input', () => {
  it('gives identical bits for 1 and many threads', () => {
    const before = getNumThreads();
    const x = randomArray(100_003, seededRandom(5));
    const grads = () => [x.slice(), x.slice(0, 777)];
    const results = [1, Math.max(2, before)].map((threads) => {
      setNumThreads(threads);
      const g = grads();
      return { sum: sumOfSquares(x), total: clipGradNorm(g, 1), g, adam: runAdam(50_001, adamConfigs[2] as AdamConfig, 2, 'cpu') };
    });
    setNumThreads(before);
    const [one, many] = results as [typeof results[0], typeof results[0]];
    expect(one.sum).toBe(many.sum);
    expect(one.total).toBe(many.total);
    expect(Buffer.from(one.g[0]!.buffer).equals(Buffer.from(many.g[0]!.buffer))).toBe(true);
    expect(Buffer.from(one.adam.param.buffer).equals(Buffer.from(many.adam.param.buffer))).toBe(true);
  });

  it('gives identical bits on the AVX2 and portable paths (same operations, no FMA)', () => {
    const runs = isas.map((isa) => {
      setIsa(isa);
      return adamConfigs.map((config) => runAdam(1003, config, 3, 'cpu').param);
    });
    setIsa('auto');
    runs.slice(1).forEach((run) => run.forEach((param, c) => expect(Buffer.from(param.buffer).equals(Buffer.from(runs[0]![c]!.buffer)), `config ${c}`).toBe(true)));
  });

  it('names the op, the argument and the sizes', () => {
    const p = new Float32Array(4);
    expect(() => sgdStep({ param: p, grad: new Float32Array(3), lr: 0.1, firstStep: true }))
      .toThrow(/sgdStep: argument 'grad' has 3 elements but 'param' has 4/);
    expect(() => sgdStep({ param: p, grad: p.slice(), lr: 0.1, momentum: 0.9, firstStep: true }))
      .toThrow(/sgdStep: argument 'momentumBuffer' is required when momentum != 0/);
    expect(() => sgdStep({ param: p, grad: p.slice(), momentumBuffer: p.slice(), lr: 0.1, momentum: 0.9, dampening: 0.5, nesterov: true, firstStep: true }))
      .toThrow(/sgdStep: nesterov momentum requires/);
    expect(() => sgdStep({ param: p, grad: p.slice(), lr: -1, firstStep: true })).toThrow(/sgdStep: invalid learning rate/);
    const adam = { param: p, grad: p.slice(), expAvg: p.slice(), expAvgSq: p.slice(), step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    expect(() => adamStep({ ...adam, expAvgSq: new Float32Array(5) })).toThrow(/adamStep: argument 'expAvgSq' has 5 elements but 'param' has 4/);
    expect(() => adamStep({ ...adam, step: 0 })).toThrow(/adamStep: argument 'step' must be >= 1/);
    expect(() => adamStep({ ...adam, beta2: 1 })).toThrow(/adamStep: invalid beta2/);
    expect(() => adamStep({ ...adam, amsgrad: true })).toThrow(/adamStep: argument 'maxExpAvgSq' is required/);
    expect(() => clipGradNorm([p, new Float64Array(2) as unknown as Float32Array], 1))
      .toThrow(/clipGradNorm: argument 'grads' item 1 must be a Float32Array/);
    expect(() => clipGradNorm([p], 1, 0)).toThrow(/clipGradNorm: argument 'normType' must be > 0/);
  });
});
