import { afterAll, describe, expect, it } from 'vitest';
import {
  batchNormBackward, batchNormBackwardEval, batchNormEval, batchNormTrain, capabilities, getNumThreads,
  layerNorm, layerNormBackward, setIsa, setNumThreads,
} from '@graft/native';
import { expectClose, finiteDifference, randomArray, seededRandom } from './helpers.js';

const isas = capabilities().detectedIsa === 'avx2+fma' ? (['avx2', 'generic'] as const) : (['generic'] as const);

// (N, C, HW): 1s, primes, BatchNorm1d (HW = 1), sizes off the 8-wide vectors, short planes over several
// 64-row blocks (N = 130, 67 with HW < 16), zero-size dims.
const bnShapes: Array<[number, number, number]> = [
  [2, 1, 1], [1, 3, 2], [5, 7, 13], [3, 11, 1], [64, 3, 1], [4, 16, 49], [17, 5, 31], [2, 3, 257],
  [130, 5, 3], [67, 2, 15], [0, 3, 4], [3, 0, 5], [7, 3, 0],
];
// (rows, D)
const lnShapes: Array<[number, number]> = [[1, 1], [1, 2], [3, 7], [13, 8], [5, 33], [31, 129], [2, 1000], [0, 5], [4, 0], [70, 65]];

interface BnInputs { x: Float32Array; dy: Float32Array; gamma: Float32Array; beta: Float32Array; rm: Float32Array; rv: Float32Array }
function bnInputs(n: number, c: number, hw: number, seed: number, shift = 0): BnInputs {
  const rand = seededRandom(seed);
  return {
    x: randomArray(n * c * hw, rand, shift - 2, shift + 2), dy: randomArray(n * c * hw, rand),
    gamma: randomArray(c, rand, 0.5, 1.5), beta: randomArray(c, rand), rm: randomArray(c, rand), rv: randomArray(c, rand, 0.5, 2),
  };
}

function trainOutputs(inp: BnInputs, n: number, c: number, hw: number, affine: boolean, impl: 'cpu' | 'ref') {
  const out = { y: new Float32Array(n * c * hw), saveMean: new Float32Array(c), saveInvStd: new Float32Array(c),
    runningMean: inp.rm.slice(), runningVar: inp.rv.slice() };
  batchNormTrain({ x: inp.x, n, c, hw, gamma: affine ? inp.gamma : undefined, beta: affine ? inp.beta : undefined,
    runningMean: out.runningMean, runningVar: out.runningVar, momentum: 0.1, eps: 1e-5, y: out.y,
    saveMean: out.saveMean, saveInvStd: out.saveInvStd }, impl);
  return out;
}

describe.each(isas)('batch norm vs reference (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));

  for (const [n, c, hw] of bnShapes) {
    for (const affine of [true, false]) {
      it(`N=${n} C=${c} HW=${hw} affine=${affine}`, () => {
        setIsa(isa);
        const inp = bnInputs(n, c, hw, n * 100 + c * 10 + hw);
        const cpu = trainOutputs(inp, n, c, hw, affine, 'cpu'), ref = trainOutputs(inp, n, c, hw, affine, 'ref');
        // Statistics are double in both (different summation order) and rounded to float32: 1-2 ulps.
        expectClose(cpu.saveMean, ref.saveMean, { atol: 1e-7, rtol: 2e-7 }, 'saveMean');
        expectClose(cpu.saveInvStd, ref.saveInvStd, { atol: 0, rtol: 2e-7 }, 'saveInvStd');
        expectClose(cpu.runningMean, ref.runningMean, { atol: 1e-7, rtol: 2e-7 }, 'runningMean');
        expectClose(cpu.runningVar, ref.runningVar, { atol: 0, rtol: 2e-7 }, 'runningVar');
        // y: float32 (x - mean) * scale + beta with |y| <~ 4: a few ulps of 4.
        expectClose(cpu.y, ref.y, { atol: 2e-6, rtol: 1e-6 }, 'y');

        const evalOut = (impl: 'cpu' | 'ref') => {
          const y = new Float32Array(n * c * hw);
          batchNormEval({ x: inp.x, n, c, hw, gamma: affine ? inp.gamma : undefined, beta: affine ? inp.beta : undefined,
            runningMean: inp.rm, runningVar: inp.rv, eps: 1e-5, y }, impl);
          return y;
        };
        expectClose(evalOut('cpu'), evalOut('ref'), { atol: 2e-6, rtol: 1e-6 }, 'eval y');

        const backward = (impl: 'cpu' | 'ref') => {
          const g = { dx: new Float32Array(n * c * hw), dgamma: new Float32Array(c), dbeta: new Float32Array(c) };
          batchNormBackward({ x: inp.x, dy: inp.dy, n, c, hw, gamma: affine ? inp.gamma : undefined,
            saveMean: ref.saveMean, saveInvStd: ref.saveInvStd, ...g }, impl);
          return g;
        };
        const gc = backward('cpu'), gr = backward('ref');
        // Sums of N*HW products in double, then float32 coefficients: atol scales with sqrt(N*HW).
        const sumTol = { atol: 1e-6 * Math.sqrt(n * hw + 1), rtol: 1e-6 };
        expectClose(gc.dbeta, gr.dbeta, sumTol, 'dbeta');
        expectClose(gc.dgamma, gr.dgamma, sumTol, 'dgamma');
        // dx = A*dy + B*(x-mean) + C0 in float32: a few ulps of the largest term (|dx| <~ 10).
        expectClose(gc.dx, gr.dx, { atol: 1e-5, rtol: 1e-5 }, 'dx');

        const backwardEval = (impl: 'cpu' | 'ref') => {
          const g = { dx: new Float32Array(n * c * hw), dgamma: new Float32Array(c), dbeta: new Float32Array(c) };
          batchNormBackwardEval({ dy: inp.dy, n, c, hw, gamma: affine ? inp.gamma : undefined, runningVar: inp.rv,
            eps: 1e-5, x: inp.x, runningMean: inp.rm, ...g }, impl);
          return g;
        };
        const ec = backwardEval('cpu'), er = backwardEval('ref');
        expectClose(ec.dx, er.dx, { atol: 1e-7, rtol: 2e-7 }, 'eval dx');
        expectClose(ec.dbeta, er.dbeta, sumTol, 'eval dbeta');
        expectClose(ec.dgamma, er.dgamma, { atol: 5 * sumTol.atol, rtol: 1e-6 }, 'eval dgamma');
      });
    }
  }

  it('keeps precision when the mean is far from zero', () => {
    setIsa(isa);
    const [n, c, hw] = [6, 4, 37];
    const inp = bnInputs(n, c, hw, 5, 1000);
    const cpu = trainOutputs(inp, n, c, hw, true, 'cpu'), ref = trainOutputs(inp, n, c, hw, true, 'ref');
    // x ~ 1000 +- 2: x - mean is exact in float32 only up to mean's rounding (~6e-5 * invstd ~ 5e-5).
    expectClose(cpu.y, ref.y, { atol: 1e-4, rtol: 1e-5 }, 'y');
    expectClose(cpu.saveInvStd, ref.saveInvStd, { atol: 0, rtol: 1e-6 }, 'saveInvStd');
  });
});

// Float64 forwards written independently of the kernels, for finite differences.
function bnTrainF64(x: Float64Array, n: number, c: number, hw: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  const m = n * hw;
  for (let ch = 0; ch < c; ch++) {
    let mean = 0, v = 0;
    for (let i = 0; i < n; i++) for (let s = 0; s < hw; s++) mean += x[(i * c + ch) * hw + s]! / m;
    for (let i = 0; i < n; i++) for (let s = 0; s < hw; s++) v += (x[(i * c + ch) * hw + s]! - mean) ** 2 / m;
    for (let i = 0; i < n; i++) for (let s = 0; s < hw; s++) {
      const k = (i * c + ch) * hw + s;
      y[k] = ((x[k]! - mean) / Math.sqrt(v + eps)) * gamma[ch]! + beta[ch]!;
    }
  }
  return y;
}
function lnF64(x: Float64Array, rows: number, d: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0, v = 0;
    for (let j = 0; j < d; j++) mean += x[r * d + j]! / d;
    for (let j = 0; j < d; j++) v += (x[r * d + j]! - mean) ** 2 / d;
    for (let j = 0; j < d; j++) y[r * d + j] = ((x[r * d + j]! - mean) / Math.sqrt(v + eps)) * gamma[j]! + beta[j]!;
  }
  return y;
}
const dot = (a: Float64Array, w: Float32Array) => a.reduce((s, v, i) => s + v * w[i]!, 0);

describe('backward vs finite differences (float64)', () => {
  // L = sum(y * w), so dL/dy = w. Central differences with h = 1e-4 on a float64 forward are accurate to
  // ~1e-8; the kernels read float32 saved statistics and write float32: atol 2e-4, rtol 1e-3 covers that.
  const fdTol = { atol: 2e-4, rtol: 1e-3 };
  const h = 1e-4;

  for (const impl of ['cpu', 'ref'] as const) {
    for (const [n, c, hw] of [[2, 3, 5], [5, 2, 1], [1, 2, 7], [3, 1, 4]] as Array<[number, number, number]>) {
      it(`batchNormBackward N=${n} C=${c} HW=${hw} (${impl})`, () => {
        const inp = bnInputs(n, c, hw, 77 + n);
        const eps = 1e-5;
        const x64 = Float64Array.from(inp.x), g64 = Float64Array.from(inp.gamma), b64 = Float64Array.from(inp.beta);
        const f = () => dot(bnTrainF64(x64, n, c, hw, g64, b64, eps), inp.dy);
        const fwd = trainOutputs(inp, n, c, hw, true, impl);
        expectClose(fwd.y, bnTrainF64(x64, n, c, hw, g64, b64, eps), { atol: 1e-5, rtol: 1e-5 }, 'forward vs float64');
        const dx = new Float32Array(n * c * hw), dgamma = new Float32Array(c), dbeta = new Float32Array(c);
        batchNormBackward({ x: inp.x, dy: inp.dy, n, c, hw, gamma: inp.gamma, saveMean: fwd.saveMean, saveInvStd: fwd.saveInvStd, dx, dgamma, dbeta }, impl);
        expectClose(dx, Array.from(x64, (_, i) => finiteDifference(f, x64, i, h)), fdTol, 'dx');
        expectClose(dgamma, Array.from(g64, (_, i) => finiteDifference(f, g64, i, h)), fdTol, 'dgamma');
        expectClose(dbeta, Array.from(b64, (_, i) => finiteDifference(f, b64, i, h)), fdTol, 'dbeta');
      });

      it(`batchNormBackwardEval N=${n} C=${c} HW=${hw} (${impl})`, () => {
        const inp = bnInputs(n, c, hw, 91 + n);
        const eps = 1e-3;
        const x64 = Float64Array.from(inp.x), g64 = Float64Array.from(inp.gamma), b64 = Float64Array.from(inp.beta);
        const f = () => {
          let s = 0;
          for (let k = 0; k < x64.length; k++) {
            const ch = Math.floor(k / hw) % c;
            s += inp.dy[k]! * (((x64[k]! - inp.rm[ch]!) / Math.sqrt(inp.rv[ch]! + eps)) * g64[ch]! + b64[ch]!);
          }
          return s;
        };
        const dx = new Float32Array(n * c * hw), dgamma = new Float32Array(c), dbeta = new Float32Array(c);
        batchNormBackwardEval({ dy: inp.dy, n, c, hw, gamma: inp.gamma, runningVar: inp.rv, eps, x: inp.x, runningMean: inp.rm, dx, dgamma, dbeta }, impl);
        expectClose(dx, Array.from(x64, (_, i) => finiteDifference(f, x64, i, h)), fdTol, 'dx');
        expectClose(dgamma, Array.from(g64, (_, i) => finiteDifference(f, g64, i, h)), fdTol, 'dgamma');
        expectClose(dbeta, Array.from(b64, (_, i) => finiteDifference(f, b64, i, h)), fdTol, 'dbeta');
      });
    }

    for (const [rows, d] of [[1, 2], [3, 7], [4, 9], [2, 17]] as Array<[number, number]>) {
      it(`layerNormBackward rows=${rows} D=${d} (${impl})`, () => {
        const rand = seededRandom(rows * 31 + d);
        const x = randomArray(rows * d, rand), dy = randomArray(rows * d, rand);
        const gamma = randomArray(d, rand, 0.5, 1.5), beta = randomArray(d, rand);
        const eps = 1e-5;
        const x64 = Float64Array.from(x), g64 = Float64Array.from(gamma), b64 = Float64Array.from(beta);
        const f = () => dot(lnF64(x64, rows, d, g64, b64, eps), dy);
        const y = new Float32Array(rows * d), saveMean = new Float32Array(rows), saveInvStd = new Float32Array(rows);
        layerNorm({ x, rows, d, gamma, beta, eps, y, saveMean, saveInvStd }, impl);
        expectClose(y, lnF64(x64, rows, d, g64, b64, eps), { atol: 1e-5, rtol: 1e-5 }, 'forward vs float64');
        const dx = new Float32Array(rows * d), dgamma = new Float32Array(d), dbeta = new Float32Array(d);
        layerNormBackward({ x, dy, rows, d, gamma, saveMean, saveInvStd, dx, dgamma, dbeta }, impl);
        expectClose(dx, Array.from(x64, (_, i) => finiteDifference(f, x64, i, h)), fdTol, 'dx');
        expectClose(dgamma, Array.from(g64, (_, i) => finiteDifference(f, g64, i, h)), fdTol, 'dgamma');
        expectClose(dbeta, Array.from(b64, (_, i) => finiteDifference(f, b64, i, h)), fdTol, 'dbeta');
      });
    }
  }
});

describe.each(isas)('layer norm vs reference (%s)', (isa) => {
  setIsa(isa);
  afterAll(() => void setIsa('auto'));
  for (const [rows, d] of lnShapes) {
    for (const affine of [true, false]) {
      it(`rows=${rows} D=${d} affine=${affine}`, () => {
        setIsa(isa);
        const rand = seededRandom(rows * 1000 + d);
        const x = randomArray(rows * d, rand, -3, 3), dy = randomArray(rows * d, rand);
        const gamma = affine ? randomArray(d, rand, 0.5, 1.5) : undefined, beta = affine ? randomArray(d, rand) : undefined;
        const run = (impl: 'cpu' | 'ref') => {
          const o = { y: new Float32Array(rows * d), saveMean: new Float32Array(rows), saveInvStd: new Float32Array(rows),
            dx: new Float32Array(rows * d), dgamma: new Float32Array(d), dbeta: new Float32Array(d) };
          layerNorm({ x, rows, d, gamma, beta, eps: 1e-5, y: o.y, saveMean: o.saveMean, saveInvStd: o.saveInvStd }, impl);
          layerNormBackward({ x, dy, rows, d, gamma, saveMean: o.saveMean, saveInvStd: o.saveInvStd, dx: o.dx, dgamma: o.dgamma, dbeta: o.dbeta }, impl);
          return o;
        };
        const cpu = run('cpu'), ref = run('ref');
        // Same tolerances and reasons as batch norm: double statistics, float32 elementwise math.
        expectClose(cpu.saveMean, ref.saveMean, { atol: 1e-7, rtol: 2e-7 }, 'saveMean');
        expectClose(cpu.saveInvStd, ref.saveInvStd, { atol: 0, rtol: 2e-7 }, 'saveInvStd');
        expectClose(cpu.y, ref.y, { atol: 2e-6, rtol: 1e-6 }, 'y');
        expectClose(cpu.dx, ref.dx, { atol: 1e-5, rtol: 1e-5 }, 'dx');
        // dgamma sums dy*xhat over rows: the CPU computes xhat in float32 (relative 1e-7 per term).
        const sumTol = { atol: 1e-6 * Math.sqrt(rows + 1), rtol: 1e-6 };
        expectClose(cpu.dgamma, ref.dgamma, sumTol, 'dgamma');
        expectClose(cpu.dbeta, ref.dbeta, sumTol, 'dbeta');
      });
    }
  }
});

describe('norm vs PyTorch 1.13', () => {
  // Made with Debian's python3-torch 1.13:
  //   n, c, hw = 2, 2, 3
  //   x = torch.tensor([((i * 5) % 7 - 3) / 4 for i in range(12)]).reshape(n, c, hw).requires_grad_()
  //   dy = torch.tensor([((i * 3) % 5 - 2) / 2 for i in range(12)]).reshape(n, c, hw)
  //   w = torch.tensor([1.5, -0.5], requires_grad=True); b = torch.tensor([0.25, 1.0], requires_grad=True)
  //   rm = torch.tensor([0.5, -0.5]); rv = torch.tensor([2.0, 0.5])
  //   y = F.batch_norm(x, rm, rv, w, b, True, 0.2, 1e-5); dx, dw, db = torch.autograd.grad(y, [x, w, b], dy)
  //   xl = x.detach().reshape(4, 3).requires_grad_(); wl = torch.tensor([0.5, 2.0, -1.0], requires_grad=True)
  //   bl = torch.tensor([0.1, 0.2, 0.3], requires_grad=True); yl = F.layer_norm(xl, (3,), wl, bl, 1e-5)
  //   dxl, dwl, dbl = torch.autograd.grad(yl, [xl, wl, bl], dy.reshape(4, 3))
  const x = Float32Array.from({ length: 12 }, (_, i) => (((i * 5) % 7) - 3) / 4);
  const dy = Float32Array.from({ length: 12 }, (_, i) => (((i * 3) % 5) - 2) / 2);
  // Float32 results compared with float32 results: a few ulps of values of size ~2.
  const tol = { atol: 2e-6, rtol: 2e-6 };
  for (const impl of ['cpu', 'ref'] as const) {
    it(`batch_norm training forward, running stats and backward (${impl})`, () => {
      const gamma = Float32Array.of(1.5, -0.5), beta = Float32Array.of(0.25, 1.0);
      const runningMean = Float32Array.of(0.5, -0.5), runningVar = Float32Array.of(2.0, 0.5);
      const y = new Float32Array(12), saveMean = new Float32Array(2), saveInvStd = new Float32Array(2);
      batchNormTrain({ x, n: 2, c: 2, hw: 3, gamma, beta, runningMean, runningVar, momentum: 0.2, eps: 1e-5, y, saveMean, saveInvStd }, impl);
      expectClose(y, [-1.5689829587936401, 2.0689830780029297, 0.613796591758728, 1.6063276529312134, 0.3936723470687866, 0.8787344694137573,
        -0.11379659175872803, -1.5689829587936401, 2.0689830780029297, 1.1212655305862427, 1.6063276529312134, 0.3936723470687866], tol, 'y');
      expectClose(runningMean, [0.375, -0.375], tol, 'runningMean');
      expectClose(runningVar, [1.6637500524520874, 0.4637500047683716], tol, 'runningVar');
      const dx = new Float32Array(12), dgamma = new Float32Array(2), dbeta = new Float32Array(2);
      batchNormBackward({ x, dy, n: 2, c: 2, hw: 3, gamma, saveMean, saveInvStd, dx, dgamma, dbeta }, impl);
      expectClose(dx, [-0.9131332635879517, -0.5420531034469604, -1.854634165763855, -1.1222978830337524, -0.00951370783150196, 0.9035465717315674,
        1.854634165763855, 0.5420531034469604, 0.9131332635879517, -0.09510968625545502, 0.8179506063461304, -0.4945758283138275], tol, 'dx');
      expectClose(dgamma, [3.395434856414795, 0.363796591758728], tol, 'dgamma');
      expectClose(dbeta, [0, -0.5], tol, 'dbeta');
    });

    it(`layer_norm forward and backward (${impl})`, () => {
      const gamma = Float32Array.of(0.5, 2.0, -1.0), beta = Float32Array.of(0.1, 0.2, 0.3);
      const y = new Float32Array(12), saveMean = new Float32Array(4), saveInvStd = new Float32Array(4);
      layerNorm({ x, rows: 4, d: 3, gamma, beta, eps: 1e-5, y, saveMean, saveInvStd }, impl);
      expectClose(y, [-0.5488733649253845, 2.4710566997528076, 0.13778167963027954, -0.5488733649253845, 2.4710566997528076, 0.13778167963027954,
        0.01889082044363022, -2.071056842803955, -0.9977466464042664, 0.01889082044363022, -2.071056842803955, -0.9977466464042664], tol, 'y');
      const dx = new Float32Array(12), dgamma = new Float32Array(3), dbeta = new Float32Array(3);
      layerNormBackward({ x, dy, rows: 4, d: 3, gamma, saveMean, saveInvStd, dx, dgamma, dbeta }, impl);
      expectClose(dx, [-0.05128633975982666, -0.07678824663162231, 0.1280745267868042, -0.4097992181777954, -0.6147357821464539, 1.0245349407196045,
        1.6008397340774536, -0.9604974985122681, -0.6403419971466064, 1.7929332256317139, -1.0758087635040283, -0.7171239852905273], tol, 'dx');
      expectClose(dgamma, [-0.0811091810464859, 2.271056652069092, 1.7032924890518188], tol, 'dgamma');
      expectClose(dbeta, [0.5, -1.0, 0.0], tol, 'dbeta');
    });
  }
});

describe('norm determinism and bad input', () => {
  it('gives identical bits for 1 and many threads', () => {
    const before = getNumThreads();
    const [n, c, hw] = [8, 3, 4099];
    const inp = bnInputs(n, c, hw, 3);
    const runs = [1, Math.max(2, before)].map((threads) => {
      setNumThreads(threads);
      const fwd = trainOutputs(inp, n, c, hw, true, 'cpu');
      const dx = new Float32Array(n * c * hw), dgamma = new Float32Array(c);
      batchNormBackward({ x: inp.x, dy: inp.dy, n, c, hw, gamma: inp.gamma, saveMean: fwd.saveMean, saveInvStd: fwd.saveInvStd, dx, dgamma });
      const ln = { y: new Float32Array(n * c * hw), m: new Float32Array(n * c), s: new Float32Array(n * c), dg: new Float32Array(hw) };
      layerNorm({ x: inp.x, rows: n * c, d: hw, eps: 1e-5, y: ln.y, saveMean: ln.m, saveInvStd: ln.s });
      layerNormBackward({ x: inp.x, dy: inp.dy, rows: n * c, d: hw, saveMean: ln.m, saveInvStd: ln.s, dgamma: ln.dg });
      return [fwd.y, fwd.saveMean, fwd.saveInvStd, fwd.runningVar, dx, dgamma, ln.y, ln.s, ln.dg];
    });
    setNumThreads(before);
    runs[0]!.forEach((a, k) => expect(Buffer.from(a.buffer).equals(Buffer.from(runs[1]![k]!.buffer)), `output ${k}`).toBe(true));
  });

  it('matches PyTorch on a running-statistics update', () => {
    // torch.nn.functional.batch_norm(x, rm, rv, training=True, momentum=0.1): x = [[1], [2], [4]] (N=3, C=1)
    // rm = 0.1*7/3 = 0.2333333, rv = 0.9 + 0.1*var_unbiased(4.6667/2 = 2.3333) = 1.1333333
    const rm = new Float32Array(1), rv = Float32Array.of(1), y = new Float32Array(3);
    batchNormTrain({ x: Float32Array.of(1, 2, 4), n: 3, c: 1, hw: 1, runningMean: rm, runningVar: rv, momentum: 0.1, eps: 1e-5, y,
      saveMean: new Float32Array(1), saveInvStd: new Float32Array(1) });
    expect(rm[0]).toBeCloseTo(0.7 / 3, 6);
    expect(rv[0]).toBeCloseTo(0.9 + 0.1 * (14 / 3 / 2), 6);
  });

  it('names the op, the argument and the shapes', () => {
    const s = { saveMean: new Float32Array(3), saveInvStd: new Float32Array(3), momentum: 0.1, eps: 1e-5 };
    expect(() => batchNormTrain({ x: new Float32Array(3), n: 1, c: 3, hw: 1, y: new Float32Array(3), ...s }))
      .toThrow(/batchNormTrain: expected more than 1 value per channel when training, got x \(N,C,HW\) = \[1, 3, 1\]/);
    expect(() => batchNormTrain({ x: new Float32Array(11), n: 2, c: 3, hw: 2, y: new Float32Array(12), ...s }))
      .toThrow(/batchNormTrain: argument 'x' has 11 elements but needs at least 12 \(x \(N,C,HW\) = \[2, 3, 2\]\)/);
    expect(() => batchNormTrain({ x: new Float32Array(12), n: 2, c: 3, hw: 2, gamma: new Float32Array(2), y: new Float32Array(12), ...s }))
      .toThrow(/batchNormTrain: argument 'gamma' has 2 elements but needs at least 3/);
    expect(() => batchNormTrain({ x: new Float32Array(12), n: 2, c: 3, hw: -2, y: new Float32Array(12), ...s }))
      .toThrow(/batchNormTrain: argument 'hw' must be >= 0/);
    expect(() => batchNormEval({ x: new Float32Array(4), n: 2, c: 2, hw: 1, runningMean: new Float32Array(2), runningVar: new Float32Array(1), eps: 1e-5, y: new Float32Array(4) }))
      .toThrow(/batchNormEval: argument 'runningVar' has 1 elements but needs at least 2/);
    expect(() => batchNormBackwardEval({ dy: new Float32Array(4), n: 2, c: 2, hw: 1, runningVar: new Float32Array(2), eps: 1e-5, dgamma: new Float32Array(2) }))
      .toThrow(/batchNormBackwardEval: argument 'dgamma' needs 'x' and 'runningMean'/);
    expect(() => layerNorm({ x: new Float32Array(6), rows: 2, d: 3, eps: -1, y: new Float32Array(6), saveMean: new Float32Array(2), saveInvStd: new Float32Array(2) }))
      .toThrow(/layerNorm: argument 'eps' must be >= 0/);
    expect(() => layerNormBackward({ x: new Float32Array(6), dy: new Float32Array(5), rows: 2, d: 3, saveMean: new Float32Array(2), saveInvStd: new Float32Array(2) }))
      .toThrow(/layerNormBackward: argument 'dy' has 5 elements but needs at least 6 \(x \(rows,D\) = \[2, 3\]\)/);
  });
});
