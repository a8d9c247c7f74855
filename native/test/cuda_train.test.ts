// CUDA training kernels (optimizers, clipping, batch norm, layer norm, cross-entropy) checked against
// the CPU kernels and references. Every suite needs a GPU (`capabilities().cudaDevices` non-empty) and
// is skipped, with the reason, where there is none; cuda.test.ts checks the no-GPU errors.
import { afterEach, describe, expect, it } from 'vitest';
import {
  adamStep, batchNormBackward, batchNormBackwardEval, batchNormEval, batchNormTrain, capabilities, clipGradNorm,
  crossEntropy, cudaAdamStep, cudaAlloc, cudaBatchNormBackward, cudaBatchNormBackwardEval, cudaBatchNormEval,
  cudaBatchNormTrain, cudaClipGradNorm, cudaCrossEntropy, cudaFromArray, cudaLayerNorm, cudaLayerNormBackward,
  cudaSgdStep, cudaToArray, cudaUpload, layerNorm, layerNormBackward, sgdStep, type DeviceBuffer,
} from '@graft/native';
import { expectClose, randomArray, seededRandom, type Tolerance } from './helpers.js';

const caps = capabilities();
const hasCuda = caps.cudaDevices.length > 0;
const why = hasCuda ? '' : ` (skipped: no CUDA device: ${caps.cudaUnavailableReason})`;

// Buffers made in a test are disposed after it.
const made: DeviceBuffer[] = [];
function dev(data: Float32Array): DeviceBuffer {
  const buffer = cudaFromArray(data);
  made.push(buffer);
  return buffer;
}
function devZeros(n: number): DeviceBuffer {
  return dev(new Float32Array(n));
}

// Optimizer steps follow the CPU kernels' float32 operation order with no fused multiply-adds, so they
// should match the CPU bit for bit; 2^-23 relative (1 ulp) is allowed in case a host compiler contracts one.
const stepTolerance: Tolerance = { atol: 1e-30, rtol: 2 ** -23 };

describe.skipIf(!hasCuda)(`cuda optimizers and clipping${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it.each([
    { momentum: 0, weightDecay: 0, nesterov: false, maximize: false },
    { momentum: 0.9, weightDecay: 1e-4, nesterov: false, maximize: false, dampening: 0.1 },
    { momentum: 0.9, weightDecay: 5e-4, nesterov: true, maximize: true },
  ])('sgd step %o over two steps', (options) => {
    for (const n of [1, 13, 100_003]) {
      const rand = seededRandom(n);
      const param = randomArray(n, rand), buf = new Float32Array(n);
      const [pd, bd] = [dev(param), dev(buf)];
      for (const firstStep of [true, false]) {
        const grad = randomArray(n, rand);
        sgdStep({ param, grad, momentumBuffer: buf, lr: 0.05, firstStep, ...options });
        cudaSgdStep({ param: pd, grad: dev(grad), momentumBuffer: bd, lr: 0.05, firstStep, ...options });
      }
      expectClose(cudaToArray(pd), param, stepTolerance, `cudaSgdStep param n=${n}`);
      expectClose(cudaToArray(bd), buf, stepTolerance, `cudaSgdStep buffer n=${n}`);
    }
  });

  it.each([
    { weightDecay: 0, decoupledWeightDecay: false, amsgrad: false, maximize: false },
    { weightDecay: 1e-2, decoupledWeightDecay: false, amsgrad: true, maximize: false },
    { weightDecay: 1e-2, decoupledWeightDecay: true, amsgrad: false, maximize: true },
  ])('adam step %o over three steps', (options) => {
    for (const n of [1, 13, 100_003]) {
      const rand = seededRandom(n + 5);
      const param = randomArray(n, rand), m = new Float32Array(n), v = new Float32Array(n), vmax = new Float32Array(n);
      const [pd, md, vd, vmaxd] = [dev(param), dev(m), dev(v), dev(vmax)];
      for (let step = 1; step <= 3; step++) {
        const grad = randomArray(n, rand);
        const hyper = { step, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, ...options };
        adamStep({ param, grad, expAvg: m, expAvgSq: v, maxExpAvgSq: vmax, ...hyper });
        cudaAdamStep({ param: pd, grad: dev(grad), expAvg: md, expAvgSq: vd, maxExpAvgSq: vmaxd, ...hyper });
      }
      expectClose(cudaToArray(pd), param, stepTolerance, `cudaAdamStep param n=${n}`);
      expectClose(cudaToArray(md), m, stepTolerance, `cudaAdamStep expAvg n=${n}`);
      expectClose(cudaToArray(vd), v, stepTolerance, `cudaAdamStep expAvgSq n=${n}`);
    }
  });

  // The norm is a float64 sum in a different (fixed) order from the CPU's: 1e-12 relative is far below
  // float32 and far above float64 reordering error. The scale is float(coef) on both sides.
  it.each([2, 1, 3.5, Infinity])('clip grad norm (normType %s), deterministic across runs', (normType) => {
    const rand = seededRandom(3);
    const sizes = [1, 0, 7, 4099, 300_007];
    const grads = sizes.map((n) => randomArray(n, rand));
    const onDevice = grads.map((g) => dev(g));
    const expected = clipGradNorm(grads, 0.5, normType);
    const total = cudaClipGradNorm(onDevice, 0.5, normType);
    expect(Math.abs(total - expected)).toBeLessThanOrEqual(1e-12 * expected);
    onDevice.forEach((g, i) => expectClose(cudaToArray(g), grads[i] as Float32Array, stepTolerance, `clipped grad ${i}`));
    const again = cudaClipGradNorm(grads.map((g) => dev(g)), 0.5, normType);
    expect(again).toBe(cudaClipGradNorm(grads.map((g) => dev(g)), 0.5, normType));
  });
});
// (N, C, HW): BatchNorm1d (HW 1), odd planes, a channel count of 1, planes longer than the block, N*HW == 2,
// and channels whose N*HW values are split across blocks: 2 ranges inside planes, 6 ranges over 3 long
// planes, 3 ranges over 5000 planes of 3 (src/cuda/batch_norm.cu splits when N*HW >= 8192 and C is small).
const normShapes: Array<[number, number, number]> = [
  [5, 3, 1], [2, 7, 13], [3, 1, 300], [4, 5, 1031], [2, 3, 1], [1, 2, 2], [8, 2, 1500], [3, 3, 9000], [5000, 2, 3],
  [3, 5, 196], [2, 3, 4], // planes of whole float4s shorter than a block (ResNet's 14x14)
];

describe.skipIf(!hasCuda)(`cuda batch norm${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  // Statistics are double sums on both sides in different fixed orders, rounded to float once; the
  // normalisation uses the same float operations. Outputs can differ by a rounding of the float
  // coefficients (2^-24 relative) propagated through (x - mean) * scale: 1e-5 relative covers it.
  const tol: Tolerance = { atol: 1e-5, rtol: 1e-5 };
  it.each(normShapes)('train, eval and both backward passes at N=%i C=%i HW=%i', (n, c, hw) => {
    const rand = seededRandom(n * 100 + c * 10 + hw);
    const size = n * c * hw;
    const x = randomArray(size, rand, -2, 3), dy = randomArray(size, rand);
    const gamma = randomArray(c, rand, 0.5, 1.5), beta = randomArray(c, rand);
    const runningMean = randomArray(c, rand), runningVar = randomArray(c, rand, 0.5, 2);
    const cpu = {
      y: new Float32Array(size), saveMean: new Float32Array(c), saveInvStd: new Float32Array(c), runningMean: runningMean.slice(),
      runningVar: runningVar.slice(), dx: new Float32Array(size), dgamma: new Float32Array(c), dbeta: new Float32Array(c),
    };
    const gpu = {
      y: devZeros(size), saveMean: devZeros(c), saveInvStd: devZeros(c), runningMean: dev(runningMean), runningVar: dev(runningVar),
      dx: devZeros(size), dgamma: devZeros(c), dbeta: devZeros(c),
    };
    const [xd, dyd, gammad, betad] = [dev(x), dev(dy), dev(gamma), dev(beta)];
    const hyper = { n, c, hw, momentum: 0.1, eps: 1e-5 };
    batchNormTrain({ ...hyper, x, gamma, beta, runningMean: cpu.runningMean, runningVar: cpu.runningVar, y: cpu.y, saveMean: cpu.saveMean, saveInvStd: cpu.saveInvStd });
    cudaBatchNormTrain({ ...hyper, x: xd, gamma: gammad, beta: betad, runningMean: gpu.runningMean, runningVar: gpu.runningVar, y: gpu.y, saveMean: gpu.saveMean, saveInvStd: gpu.saveInvStd });
    for (const key of ['y', 'saveMean', 'saveInvStd', 'runningMean', 'runningVar'] as const)
      expectClose(cudaToArray(gpu[key]), cpu[key], tol, `cudaBatchNormTrain ${key}`);
    // The ranges are combined in a fixed order: the same inputs give the same bits.
    const again = { y: devZeros(size), saveMean: devZeros(c), saveInvStd: devZeros(c) };
    cudaBatchNormTrain({ ...hyper, x: xd, gamma: gammad, beta: betad, runningMean: dev(runningMean), runningVar: dev(runningVar), ...again });
    for (const key of ['y', 'saveMean', 'saveInvStd'] as const) expect(cudaToArray(again[key])).toEqual(cudaToArray(gpu[key]));

    batchNormBackward({ n, c, hw, x, dy, gamma, saveMean: cpu.saveMean, saveInvStd: cpu.saveInvStd, dx: cpu.dx, dgamma: cpu.dgamma, dbeta: cpu.dbeta });
    cudaBatchNormBackward({ n, c, hw, x: xd, dy: dyd, gamma: gammad, saveMean: gpu.saveMean, saveInvStd: gpu.saveInvStd, dx: gpu.dx, dgamma: gpu.dgamma, dbeta: gpu.dbeta });
    // Backward sums over N*HW terms of size ~1 in double, rounded once: atol grows with the count.
    const sums: Tolerance = { atol: 1e-5 * Math.sqrt(n * hw), rtol: 1e-5 };
    expectClose(cudaToArray(gpu.dx), cpu.dx, sums, 'cudaBatchNormBackward dx');
    expectClose(cudaToArray(gpu.dgamma), cpu.dgamma, sums, 'cudaBatchNormBackward dgamma');
    expectClose(cudaToArray(gpu.dbeta), cpu.dbeta, sums, 'cudaBatchNormBackward dbeta');

    batchNormEval({ n, c, hw, x, gamma, beta, runningMean, runningVar, eps: 1e-5, y: cpu.y });
    cudaBatchNormEval({ n, c, hw, x: xd, gamma: gammad, beta: betad, runningMean: dev(runningMean), runningVar: dev(runningVar), eps: 1e-5, y: gpu.y });
    expectClose(cudaToArray(gpu.y), cpu.y, tol, 'cudaBatchNormEval y');

    batchNormBackwardEval({ n, c, hw, dy, gamma, runningVar, eps: 1e-5, dx: cpu.dx, dgamma: cpu.dgamma, dbeta: cpu.dbeta, x, runningMean });
    cudaBatchNormBackwardEval({ n, c, hw, dy: dyd, gamma: gammad, runningVar: dev(runningVar), eps: 1e-5, dx: gpu.dx, dgamma: gpu.dgamma, dbeta: gpu.dbeta, x: xd, runningMean: dev(runningMean) });
    expectClose(cudaToArray(gpu.dx), cpu.dx, tol, 'cudaBatchNormBackwardEval dx');
    expectClose(cudaToArray(gpu.dgamma), cpu.dgamma, sums, 'cudaBatchNormBackwardEval dgamma');
    expectClose(cudaToArray(gpu.dbeta), cpu.dbeta, sums, 'cudaBatchNormBackwardEval dbeta');
  });
});
describe.skipIf(!hasCuda)(`cuda cross-entropy${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  // Double arithmetic on both sides (the reference is float64 throughout), rounded to float once:
  // 2^-23 relative covers the rounding and the different summation order; atol for values near zero.
  const tol: Tolerance = { atol: 1e-7, rtol: 2 ** -22 };
  const options = [
    { reduction: 'mean' as const }, { reduction: 'sum' as const, labelSmoothing: 0.1 },
    { reduction: 'none' as const, weighted: true }, { reduction: 'mean' as const, weighted: true, labelSmoothing: 0.2 },
  ];
  it.each([[1, 1], [7, 3], [33, 10], [5, 1000], [3, 1500]])('n=%i c=%i, hard and soft targets, every reduction', (n, c) => {
    for (const option of options) {
      const rand = seededRandom(n * 1000 + c);
      const logits = randomArray(n * c, rand, -5, 5);
      const targets = Int32Array.from({ length: n }, (_, i) => (i % 4 === 3 ? -100 : Math.floor(rand() * c)));
      const soft = randomArray(n * c, rand, 0, 1);
      const weights = option.weighted ? randomArray(c, rand, 0.5, 2) : undefined;
      const lossCount = option.reduction === 'none' ? n : 1;
      for (const hard of [true, false]) {
        const losses = new Float32Array(lossCount), dlogits = new Float32Array(n * c);
        const common = { n, c, reduction: option.reduction, labelSmoothing: option.labelSmoothing ?? 0 };
        crossEntropy({ ...common, logits, weights, losses, dlogits, ...(hard ? { targets } : { softTargets: soft }) }, 'ref');
        const lossesD = devZeros(lossCount), dlogitsD = devZeros(n * c);
        const targetsD = cudaAlloc(4 * n);
        made.push(targetsD);
        cudaUpload(targetsD, targets);
        cudaCrossEntropy({
          ...common, logits: dev(logits), weights: weights && dev(weights), losses: lossesD, dlogits: dlogitsD,
          ...(hard ? { targets: targetsD } : { softTargets: dev(soft) }),
        });
        const label = `cudaCrossEntropy ${hard ? 'hard' : 'soft'} ${JSON.stringify(option)}`;
        expectClose(cudaToArray(lossesD), losses, tol, `${label} losses`);
        expectClose(cudaToArray(dlogitsD), dlogits, tol, `${label} dlogits`);
      }
    }
  });

  it('turns a target outside [0, c) into NaN instead of reading out of bounds', () => {
    const targets = cudaAlloc(8);
    made.push(targets);
    cudaUpload(targets, Int32Array.from([1, 7]));
    const losses = devZeros(2);
    cudaCrossEntropy({ logits: devZeros(6), n: 2, c: 3, targets, losses, reduction: 'none' });
    const out = cudaToArray(losses);
    expect(out[0]).toBeCloseTo(Math.log(3), 6);
    expect(out[1]).toBeNaN();
  });
});

describe.skipIf(!hasCuda)(`cuda layer norm${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  // The reference's double arithmetic on both sides, rounded to float once; the row sums run in a
  // different fixed order, so a result may differ in its last bit (2^-23 relative) plus a tiny atol.
  const tol: Tolerance = { atol: 1e-6, rtol: 2 ** -21 };
  it.each([[1, 1], [3, 7], [5, 257], [19, 33], [9, 1024], [3, 1025], [2, 3001], [4, 0], [0, 5]])('rows=%i d=%i: forward and backward', (rows, d) => {
    const rand = seededRandom(rows * 10_007 + d);
    const x = randomArray(rows * d, rand, -2, 3), dy = randomArray(rows * d, rand);
    const gamma = randomArray(d, rand, 0.5, 1.5), beta = randomArray(d, rand);
    const cpu = { y: new Float32Array(rows * d), saveMean: new Float32Array(rows), saveInvStd: new Float32Array(rows),
      dx: new Float32Array(rows * d), dgamma: new Float32Array(d), dbeta: new Float32Array(d) };
    layerNorm({ x, rows, d, gamma, beta, eps: 1e-5, y: cpu.y, saveMean: cpu.saveMean, saveInvStd: cpu.saveInvStd }, 'ref');
    layerNormBackward({ x, dy, rows, d, gamma, saveMean: cpu.saveMean, saveInvStd: cpu.saveInvStd, dx: cpu.dx, dgamma: cpu.dgamma, dbeta: cpu.dbeta }, 'ref');
    const gpu = { y: devZeros(rows * d), saveMean: devZeros(rows), saveInvStd: devZeros(rows), dx: devZeros(rows * d),
      dgamma: devZeros(d), dbeta: devZeros(d) };
    const [xd, gammad] = [dev(x), dev(gamma)];
    cudaLayerNorm({ x: xd, rows, d, gamma: gammad, beta: dev(beta), eps: 1e-5, y: gpu.y, saveMean: gpu.saveMean, saveInvStd: gpu.saveInvStd });
    // The backward reads the CPU's saved statistics, so it is checked on its own.
    cudaLayerNormBackward({ x: xd, dy: dev(dy), rows, d, gamma: gammad, saveMean: dev(cpu.saveMean), saveInvStd: dev(cpu.saveInvStd), dx: gpu.dx, dgamma: gpu.dgamma, dbeta: gpu.dbeta });
    for (const key of ['y', 'saveMean', 'saveInvStd', 'dx', 'dgamma', 'dbeta'] as const)
      expectClose(cudaToArray(gpu[key]), cpu[key], tol, `cudaLayerNorm ${key} rows=${rows} d=${d}`);
  });
});
