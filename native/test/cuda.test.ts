// The CUDA backend against the CPU kernels and references. Kernel suites need a GPU
// (`capabilities().cudaDevices` non-empty) and are skipped, with the reason, where there is none; the
// error suites run on every build and check that a build without CUDA, or a machine without a GPU,
// gives a clear Error naming the op and no crash.
import { afterEach, describe, expect, it } from 'vitest';
import {
  adamStep, argReduce, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, conv2dOutputSize, crossEntropy,
  cudaConv2dBackwardData, cudaConv2dBackwardWeight, cudaConv2dForward, cudaCrossEntropy, batchNormBackward, batchNormBackwardEval, batchNormEval, batchNormTrain, binary,
  cudaBatchNormBackward, cudaBatchNormBackwardEval, cudaBatchNormEval, cudaBatchNormTrain, cudaArgReduce, cudaLogSoftmax, cudaLogSoftmaxBackward, cudaReduce, cudaSoftmax,
  cudaSoftmaxBackward, logSoftmax, logSoftmaxBackward, reduce, softmax, softmaxBackward, capabilities, clipGradNorm, cudaAdamStep, cudaAlloc, cudaBinary, cudaClipGradNorm, cudaDownload,
  cudaEmptyCache, cudaFromArray, cudaGemm, cudaMemoryStats, cudaRandomBernoulli, cudaRandomNormal, cudaRandomUniform,
  cudaSgdStep, cudaSynchronize, cudaToArray, cudaUnary, cudaUnaryBackward, cudaUpload, gemm, randomBernoulli,
  randomNormal, randomUniform, sgdStep, unary, unaryBackward,
  type ArgReduceOp, type Conv2dShape, type BinaryOp, type CudaPrecision, type DeviceBuffer, type ReduceOp, type UnaryOp,
} from '@graft/native';
import { expectClose, randomArray, seededRandom, type Tolerance } from './helpers.js';

const caps = capabilities();
const hasCuda = caps.cudaDevices.length > 0;
const why = hasCuda ? '' : ` (skipped: no CUDA device: ${caps.cudaUnavailableReason})`;
// A stub build and a CUDA build on a machine without a GPU say so in these words.
const unavailable = /^(\w+): (Graft was built without CUDA|no CUDA device: .+)/;
const fake = { bytes: 64, device: 0, disposed: false, dispose: () => undefined } as DeviceBuffer;

describe.skipIf(hasCuda)('cuda without a device: every entry point throws a clear Error', () => {
  it('reports why there is no device', () => {
    expect(caps.cudaUnavailableReason).not.toBe('');
    if (!caps.cudaCompiled) expect(caps.cudaUnavailableReason).toMatch(/built without CUDA/);
  });
  it.each([
    ['cudaAlloc', () => cudaAlloc(16)],
    ['cudaAlloc', () => cudaFromArray(new Float32Array(4))],
    ['cudaMemoryStats', () => cudaMemoryStats()],
    ['cudaEmptyCache', () => cudaEmptyCache()],
    ['cudaSynchronize', () => cudaSynchronize()],
    ['cudaClipGradNorm', () => cudaClipGradNorm([], 1)],
  ] as Array<[string, () => unknown]>)('%s', (op, call) => {
    expect(call).toThrow(unavailable);
    expect(call).toThrow(new RegExp(`^${op}: `));
  });
});

describe('cuda argument checks (any build, before any device is touched)', () => {
  it.each([
    ['cudaUpload', 'buffer', () => cudaUpload(fake, new Float32Array(4))],
    ['cudaDownload', 'buffer', () => cudaDownload(fake, new Float32Array(4))],
    ['cudaGemm', 'a', () => cudaGemm({ m: 2, n: 2, k: 2, a: fake, b: fake, c: fake })],
    ['cudaUnary', 'x', () => cudaUnary('relu', fake, fake)],
    ['cudaUnaryBackward', 'x', () => cudaUnaryBackward('relu', fake, fake, fake, fake)],
    ['cudaBinary', 'a', () => cudaBinary('add', [2], fake, 0, [1], fake, 0, [1], fake)],
    ['cudaSgdStep', 'param', () => cudaSgdStep({ param: fake, grad: fake, lr: 0.1, firstStep: true })],
    ['cudaAdamStep', 'param', () => cudaAdamStep({ param: fake, grad: fake, expAvg: fake, expAvgSq: fake, step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 })],
    ['cudaClipGradNorm', 'grads[0]', () => cudaClipGradNorm([fake], 1)],
    ['cudaRandomUniform', 'out', () => cudaRandomUniform(fake, 1, 0)],
    ['cudaRandomNormal', 'out', () => cudaRandomNormal(fake, 1, 0)],
    ['cudaRandomBernoulli', 'out', () => cudaRandomBernoulli(fake, 0.5, 1, 0)],
    ['cudaBatchNormTrain', 'x', () => cudaBatchNormTrain({ x: fake, n: 2, c: 1, hw: 1, momentum: 0.1, eps: 1e-5, y: fake, saveMean: fake, saveInvStd: fake })],
    ['cudaBatchNormEval', 'x', () => cudaBatchNormEval({ x: fake, n: 2, c: 1, hw: 1, runningMean: fake, runningVar: fake, eps: 1e-5, y: fake })],
    ['cudaBatchNormBackward', 'x', () => cudaBatchNormBackward({ x: fake, dy: fake, n: 2, c: 1, hw: 1, saveMean: fake, saveInvStd: fake })],
    ['cudaBatchNormBackwardEval', 'dy', () => cudaBatchNormBackwardEval({ dy: fake, n: 2, c: 1, hw: 1, runningVar: fake, eps: 1e-5 })],
    ['cudaConv2dForward', 'x', () => cudaConv2dForward({ n: 1, c: 1, h: 2, w: 2, k: 1, r: 1, s: 1, x: fake, weight: fake, y: fake })],
    ['cudaConv2dBackwardData', 'dy', () => cudaConv2dBackwardData({ n: 1, c: 1, h: 2, w: 2, k: 1, r: 1, s: 1, dy: fake, weight: fake, dx: fake })],
    ['cudaConv2dBackwardWeight', 'x', () => cudaConv2dBackwardWeight({ n: 1, c: 1, h: 2, w: 2, k: 1, r: 1, s: 1, x: fake, dy: fake, dw: fake })],
    ['cudaCrossEntropy', 'logits', () => cudaCrossEntropy({ logits: fake, n: 1, c: 2, targets: fake, losses: fake })],
    ['cudaReduce', 'x', () => cudaReduce('sum', fake, 1, 1, 1, fake)],
    ['cudaArgReduce', 'x', () => cudaArgReduce('argmax', fake, 1, 1, 1, fake)],
    ['cudaSoftmax', 'x', () => cudaSoftmax(fake, 1, 1, 1, fake)],
    ['cudaLogSoftmax', 'x', () => cudaLogSoftmax(fake, 1, 1, 1, fake)],
    ['cudaSoftmaxBackward', 'y', () => cudaSoftmaxBackward(fake, fake, 1, 1, 1, fake)],
    ['cudaLogSoftmaxBackward', 'y', () => cudaLogSoftmaxBackward(fake, fake, 1, 1, 1, fake)],
  ] as Array<[string, string, () => unknown]>)('%s rejects a non-buffer %s', (op, name, call) => {
    const escaped = name.replace(/[[\]]/g, '\\$&');
    expect(call).toThrow(new RegExp(`^${op}: argument '${escaped}' must be a CUDA device buffer made by cudaAlloc\\(\\)`));
  });
  it('rejects bad sizes and device indices', () => {
    expect(() => cudaAlloc(-1)).toThrow(/cudaAlloc: argument 'bytes' must be >= 0, got -1/);
    expect(() => cudaAlloc(1.5)).toThrow(/cudaAlloc: argument 'bytes' must be an integer/);
    expect(() => cudaAlloc(16, -1)).toThrow(/cudaAlloc: argument 'device' must be >= 0/);
  });
});

// ---- with a GPU -----------------------------------------------------------------------------------
// Buffers made in a test are disposed after it, so the allocator checks below see a clean slate.
const made: DeviceBuffer[] = [];
function dev(data: Float32Array): DeviceBuffer {
  const buffer = cudaFromArray(data);
  made.push(buffer);
  return buffer;
}
function devZeros(n: number): DeviceBuffer {
  return dev(new Float32Array(n));
}

describe.skipIf(!hasCuda)(`cuda device memory${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it('round-trips data, including odd and empty sizes', () => {
    const rand = seededRandom(1);
    for (const n of [0, 1, 7, 129, 100_003]) {
      const data = randomArray(n, rand);
      expect(Array.from(cudaToArray(dev(data)))).toEqual(Array.from(data));
    }
  });
  it('round-trips int32 data', () => {
    const ints = Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31), 7]);
    const buffer = cudaAlloc(ints.length * 4);
    made.push(buffer);
    cudaUpload(buffer, ints);
    const back = new Int32Array(ints.length);
    cudaDownload(buffer, back);
    expect(Array.from(back)).toEqual(Array.from(ints));
  });
  it('reuses freed blocks from the cache and keeps live bytes flat', () => {
    cudaSynchronize();
    const before = cudaMemoryStats();
    for (let i = 0; i < 200; i++) cudaAlloc(4 * 1000 + (i % 3)).dispose();
    const after = cudaMemoryStats();
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.deviceAllocations - before.deviceAllocations).toBeLessThanOrEqual(1); // one size class
    expect(after.cacheHits - before.cacheHits).toBeGreaterThanOrEqual(199);
    cudaEmptyCache();
    expect(cudaMemoryStats().cachedBytes).toBe(0);
  });
  it('refuses disposed buffers and copies larger than the buffer', () => {
    const buffer = cudaAlloc(8);
    expect(() => cudaUpload(buffer, new Float32Array(3)))
      .toThrow(/cudaUpload: argument 'data' has 3 elements but 'buffer' holds only 2 floats/);
    buffer.dispose();
    buffer.dispose(); // twice is harmless
    expect(buffer.disposed).toBe(true);
    expect(() => cudaDownload(buffer, new Float32Array(1)))
      .toThrow(/cudaDownload: argument 'buffer' is a disposed CUDA device buffer/);
  });
  it('names a device index that does not exist', () => {
    expect(() => cudaAlloc(16, caps.cudaDevices.length)).toThrow(/cudaAlloc: argument 'device' is \d+ but there/);
  });
});

// Tolerances against the float64 reference, per precision, for K products of values in [-1, 1]:
// float32 rounds each FMA at 2^-24, so the error grows ~ sqrt(K) * 2^-24 (as the CPU gemm test);
// TF32 rounds each input to a 10-bit mantissa (2^-11 relative), BF16 to 7 bits (2^-8), so each product
// is off by up to ~2x that and the sum by ~sqrt(K) times it; float32 accumulation adds little more.
const gemmTolerance: Record<CudaPrecision, (k: number) => Tolerance> = {
  float32: (k) => ({ atol: 1e-5 * Math.sqrt(k + 1), rtol: 1e-5 }),
  tf32: (k) => ({ atol: 2e-3 * Math.sqrt(k + 1), rtol: 1e-3 }),
  bf16: (k) => ({ atol: 1.5e-2 * Math.sqrt(k + 1), rtol: 1e-2 }),
};
// 1, primes, sizes off the 64-wide tiles and the 16-deep K step, zero-size dims, several tiles.
const gemmShapes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 3], [5, 1, 11], [7, 13, 5], [17, 9, 31], [33, 65, 17], [64, 64, 64],
  [100, 37, 129], [3, 0, 5], [0, 4, 4], [4, 4, 0], [257, 130, 67],
];
const tensorCores = hasCuda && caps.cudaDevices.every((d) => Number(d.computeCapability) >= 8);
const precisions: CudaPrecision[] = tensorCores ? ['float32', 'tf32', 'bf16'] : ['float32'];

describe.skipIf(!hasCuda).each(precisions)(`cudaGemm (%s)${why}`, (precision) => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  for (const [m, n, k] of gemmShapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, () => {
        const rand = seededRandom(m * 1000 + n * 10 + k);
        const a = randomArray(m * k, rand), b = randomArray(k * n, rand), c0 = randomArray(m * n, rand);
        const args = { m, n, k, transA, transB, alpha: 0.75, beta: 0.5 };
        const expected = c0.slice();
        gemm({ ...args, a, b, c: expected }, 'ref');
        const c = dev(c0);
        cudaGemm({ ...args, a: dev(a), b: dev(b), c, precision });
        expectClose(cudaToArray(c), expected, gemmTolerance[precision](k), `cudaGemm ${precision} ${m}x${n}x${k}`);
      });
    }
  }

  it('strided batches with padded leading dimensions', () => {
    const rand = seededRandom(7);
    const [m, n, k, batch] = [66, 10, 19, 3];
    const lda = k + 3, ldb = n + 1, ldc = n + 5;
    const strideA = m * lda + 2, strideB = k * ldb, strideC = m * ldc + 1;
    const a = randomArray(strideA * batch, rand), b = randomArray(strideB * batch, rand);
    const c0 = randomArray(strideC * batch, rand);
    const args = { m, n, k, lda, ldb, ldc, batch, strideA, strideB, strideC, beta: 1 };
    const expected = c0.slice();
    gemm({ ...args, a, b, c: expected }, 'ref');
    const c = dev(c0);
    cudaGemm({ ...args, a: dev(a), b: dev(b), c, precision });
    expectClose(cudaToArray(c), expected, gemmTolerance[precision](k), 'batched cudaGemm');
  });

  it('beta = 0 ignores NaN already in C', () => {
    const c = dev(new Float32Array(4).fill(NaN));
    cudaGemm({ m: 2, n: 2, k: 2, a: dev(Float32Array.from([1, 2, 3, 4])), b: dev(Float32Array.from([1, 0, 0, 1])), c, precision });
    expect(Array.from(cudaToArray(c))).toEqual([1, 2, 3, 4]); // small integers are exact in TF32 and BF16
  });

  it('names the argument and the sizes when a buffer is too short', () => {
    expect(() => cudaGemm({ m: 2, n: 2, k: 2, a: devZeros(3), b: devZeros(4), c: devZeros(4), precision }))
      .toThrow(/cudaGemm: argument 'a' has 3 elements but needs at least 4 \(m=2, n=2, k=2/);
  });
});

// Unary and binary maps use the CPU kernels' float32 formulas; only the device's libm (expf, erfcf,
// tanhf, powf: within 2 ulp of correctly rounded) differs from the host's, so a few ulp of relative error
// is allowed, plus a tiny atol for results that cancel to near zero (gelu, silu at negative inputs).
const mapTolerance: Tolerance = { atol: 1e-6, rtol: 4e-6 };
const unaryOps: UnaryOp[] = [
  'neg', 'abs', 'relu', 'leakyRelu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'rsqrt',
  'square', 'reciprocal', 'sign', 'clamp', 'affine', 'powScalar',
];
const positiveOnly = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt', 'powScalar', 'reciprocal']);
const unaryParams = { alpha: 0.2, beta: -0.5, min: -0.5, max: 0.75, exponent: 1.7 };

describe.skipIf(!hasCuda)(`cuda elementwise${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it.each(unaryOps)('unary %s forward and backward on odd sizes', (op) => {
    for (const n of [1, 7, 1000, 70_001]) {
      const rand = seededRandom(n + op.length);
      const x = positiveOnly.has(op) ? randomArray(n, rand, 0.1, 3) : randomArray(n, rand, -3, 3);
      const dy = randomArray(n, rand);
      const y = new Float32Array(n), dx = new Float32Array(n);
      unary(op, x, y, unaryParams);
      unaryBackward(op, x, y, dy, dx, unaryParams);
      const xd = dev(x), yd = devZeros(n), dxd = devZeros(n);
      cudaUnary(op, xd, yd, unaryParams);
      cudaUnaryBackward(op, xd, yd, dev(dy), dxd, unaryParams);
      expectClose(cudaToArray(yd), y, mapTolerance, `cudaUnary ${op} n=${n}`);
      expectClose(cudaToArray(dxd), dx, { atol: 1e-5, rtol: 1e-5 }, `cudaUnaryBackward ${op} n=${n}`);
    }
  });

  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
  // [outShape, a (size, offset, strides), b (size, offset, strides)]: contiguous, row and column
  // broadcast, a scalar, a reversed (negative-stride) view, a transposed view, and a zero-size dim.
  const views: Array<[number[], [number, number, number[]], [number, number, number[]]]> = [
    [[5, 7], [35, 0, [7, 1]], [35, 0, [7, 1]]],
    [[5, 7], [35, 0, [7, 1]], [7, 0, [0, 1]]],
    [[3, 5, 4], [12, 0, [4, 0, 1]], [5, 0, [0, 1, 0]]],
    [[13], [13, 0, [1]], [1, 0, [0]]],
    [[2, 9], [18, 17, [-9, -1]], [9, 0, [0, 1]]],
    [[6, 11], [66, 0, [1, 6]], [66, 0, [11, 1]]],
    [[4, 0, 3], [0, 0, [0, 3, 1]], [3, 0, [0, 0, 1]]],
  ];
  it.each(ops)('binary %s with broadcasting, negative and transposed strides', (op) => {
    for (const [shape, [na, oa, sa], [nb, ob, sb]] of views) {
      const rand = seededRandom(shape.length * 31 + op.length);
      const a = randomArray(na, rand, op === 'pow' ? 0.1 : -2, 2), b = randomArray(nb, rand, -2, 2);
      const count = shape.reduce((p, s) => p * s, 1);
      const expected = new Float32Array(count);
      binary(op, shape, a, oa, sa, b, ob, sb, expected);
      const out = devZeros(count);
      cudaBinary(op, shape, dev(a), oa, sa, dev(b), ob, sb, out);
      expectClose(cudaToArray(out), expected, mapTolerance, `cudaBinary ${op} ${JSON.stringify(shape)}`);
    }
  });

  it('rejects a view that reaches past its buffer', () => {
    expect(() => cudaBinary('add', [2, 3], devZeros(5), 0, [3, 1], devZeros(3), 0, [0, 1], devZeros(6)))
      .toThrow(/cudaBinary: argument 'a' \(5 elements\) cannot hold the view of shape \[2, 3\]/);
  });
});

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

describe.skipIf(!hasCuda)(`cuda random numbers: the CPU's stream mapping${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  // Offsets not a multiple of 4 and lengths off the 4-word Philox block cover partial blocks at both ends.
  const cases: Array<[number, number, number]> = [[1, 0, 1], [42, 3, 7], [7, 5, 4097], [2 ** 40 + 3, 2 ** 33 + 1, 1001]];
  it.each(cases)('seed %s offset %s n %s', (seed, offset, n) => {
    const cpu = new Float32Array(n);
    const out = devZeros(n);
    randomUniform(cpu, seed, offset, -2, 3);
    cudaRandomUniform(out, seed, offset, -2, 3);
    expect(cudaToArray(out)).toEqual(cpu); // bit for bit: same words, same double arithmetic
    randomBernoulli(cpu, 0.3, seed, offset);
    cudaRandomBernoulli(out, 0.3, seed, offset);
    expect(cudaToArray(out)).toEqual(cpu);
    randomNormal(cpu, seed, offset, 0.5, 2);
    cudaRandomNormal(out, seed, offset, 0.5, 2);
    // Device double log/sin/cos are within 2 ulp of the host's, far below float32's 2^-24.
    expectClose(cudaToArray(out), cpu, { atol: 1e-6, rtol: 2 ** -22 }, 'cudaRandomNormal');
  });
});

// (outer, r, inner): rows (inner 1) run a block per row, columns (inner > 1) a thread per column; sizes
// cross the 256-thread block, and include 1, primes and an empty reduced dim.
const lineShapes: Array<[number, number, number]> = [
  [1, 1, 1], [3, 7, 1], [2, 257, 1], [5, 3001, 1], [1, 13, 5], [4, 9, 33], [2, 300, 129], [3, 0, 4], [0, 5, 5],
];

describe.skipIf(!hasCuda)(`cuda reductions and softmax${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  // Sums and products accumulate in double on both sides, in different fixed orders: the float32 result
  // can differ by the one rounding at the end (2^-24 relative); max/min and arg* are exact.
  it.each(['sum', 'mean', 'prod', 'max', 'min'] as ReduceOp[])('reduce %s', (op) => {
    for (const [outer, r, inner] of lineShapes) {
      if (r === 0 && (op === 'max' || op === 'min')) continue;
      const rand = seededRandom(outer * 7 + r * 3 + inner);
      const x = op === 'prod' ? randomArray(outer * r * inner, rand, 0.9, 1.1) : randomArray(outer * r * inner, rand);
      if (x.length > 5) x[3] = NaN; // NaN propagates through every op
      const expected = new Float32Array(outer * inner);
      reduce(op, x, outer, r, inner, expected);
      const y = devZeros(outer * inner);
      cudaReduce(op, dev(x), outer, r, inner, y);
      expectClose(cudaToArray(y), expected, { atol: 1e-7, rtol: 2 ** -23 }, `cudaReduce ${op} ${outer}x${r}x${inner}`);
    }
  });

  it.each(['argmax', 'argmin'] as ArgReduceOp[])('%s returns the first index, and a NaN wins', (op) => {
    for (const [outer, r, inner] of lineShapes) {
      if (r === 0) continue;
      const rand = seededRandom(outer + r + inner);
      const x = Float32Array.from(randomArray(outer * r * inner, rand), (v) => Math.round(v * 3)); // many ties
      if (x.length > 40) x[37] = NaN;
      const expected = new Int32Array(outer * inner);
      argReduce(op, x, outer, r, inner, expected);
      const y = devZeros(outer * inner);
      cudaArgReduce(op, dev(x), outer, r, inner, y);
      const got = new Int32Array(outer * inner);
      cudaDownload(y, got);
      expect(Array.from(got), `cudaArgReduce ${op} ${outer}x${r}x${inner}`).toEqual(Array.from(expected));
    }
  });

  // Same formulas as the CPU (double sums, float exp); the device expf is within 2 ulp of the host's.
  it('softmax and log-softmax, forward and backward', () => {
    for (const [outer, d, inner] of lineShapes) {
      const rand = seededRandom(outer * 11 + d + inner);
      const n = outer * d * inner;
      const x = randomArray(n, rand, -8, 8), dy = randomArray(n, rand);
      const cases = [[softmax, softmaxBackward, cudaSoftmax, cudaSoftmaxBackward], [logSoftmax, logSoftmaxBackward, cudaLogSoftmax, cudaLogSoftmaxBackward]] as const;
      for (const [cpuForward, cpuBackward, gpuForward, gpuBackward] of cases) {
        const y = new Float32Array(n), dx = new Float32Array(n);
        cpuForward(x, outer, d, inner, y);
        cpuBackward(y, dy, outer, d, inner, dx);
        const yd = devZeros(n), dxd = devZeros(n);
        gpuForward(dev(x), outer, d, inner, yd);
        gpuBackward(yd, dev(dy), outer, d, inner, dxd);
        const label = `${gpuForward.name} ${outer}x${d}x${inner}`;
        expectClose(cudaToArray(yd), y, { atol: 1e-6, rtol: 1e-5 }, label);
        expectClose(cudaToArray(dxd), dx, { atol: 1e-6, rtol: 1e-5 }, `${label} backward`);
      }
    }
  });
});

// (N, C, HW): BatchNorm1d (HW 1), odd planes, a channel count of 1, planes longer than the block, N*HW == 2.
const normShapes: Array<[number, number, number]> = [[5, 3, 1], [2, 7, 13], [3, 1, 300], [4, 5, 1031], [2, 3, 1], [1, 2, 2]];

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
  it.each([[1, 1], [7, 3], [33, 10], [5, 1000]])('n=%i c=%i, hard and soft targets, every reduction', (n, c) => {
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

// 1x1, 3x3 padded, strided, dilated, grouped and depthwise shapes; odd sizes off the 64-wide tiles;
// a ResNet-20 stage; batch 0.
const convShapes: Conv2dShape[] = [
  { n: 1, c: 1, h: 1, w: 1, k: 1, r: 1, s: 1 },
  { n: 2, c: 3, h: 7, w: 5, k: 4, r: 3, s: 3, padding: 1 },
  { n: 3, c: 5, h: 11, w: 13, k: 7, r: 3, s: 2, stride: [2, 1], padding: [1, 0] },
  { n: 2, c: 4, h: 9, w: 9, k: 6, r: 3, s: 3, dilation: 2, padding: 2, groups: 2 },
  { n: 2, c: 8, h: 6, w: 6, k: 8, r: 3, s: 3, padding: 1, groups: 8 },
  { n: 4, c: 16, h: 28, w: 28, k: 32, r: 3, s: 3, stride: 2, padding: 1 },
  { n: 0, c: 2, h: 4, w: 4, k: 3, r: 3, s: 3 },
];

describe.skipIf(!hasCuda)(`cuda conv2d (implicit GEMM)${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it.each(convShapes)('forward, backward data and backward weight: %o', (shape) => {
    const { p, q } = conv2dOutputSize(shape);
    const groups = shape.groups ?? 1;
    const xSize = shape.n * shape.c * shape.h * shape.w, wSize = shape.k * (shape.c / groups) * shape.r * shape.s;
    const ySize = shape.n * shape.k * p * q;
    const rand = seededRandom(xSize + wSize);
    const x = randomArray(xSize, rand), weight = randomArray(wSize, rand), bias = randomArray(shape.k, rand);
    const dy = randomArray(ySize, rand);
    const cpu = { y: new Float32Array(ySize), dx: new Float32Array(xSize), dw: new Float32Array(wSize), dbias: new Float32Array(shape.k) };
    conv2dForward({ ...shape, x, weight, bias, y: cpu.y }, 'ref');
    conv2dBackwardData({ ...shape, dy, weight, dx: cpu.dx }, 'ref');
    conv2dBackwardWeight({ ...shape, x, dy, dw: cpu.dw, dbias: cpu.dbias }, 'ref');
    const gpu = { y: devZeros(ySize), dx: devZeros(xSize), dw: devZeros(wSize), dbias: devZeros(shape.k) };
    const [xd, wd, dyd] = [dev(x), dev(weight), dev(dy)];
    cudaConv2dForward({ ...shape, x: xd, weight: wd, bias: dev(bias), y: gpu.y });
    cudaConv2dBackwardData({ ...shape, dy: dyd, weight: wd, dx: gpu.dx });
    cudaConv2dBackwardWeight({ ...shape, x: xd, dy: dyd, dw: gpu.dw, dbias: gpu.dbias });
    // float32 sums of `depth` products of values in [-1, 1] against a float64 reference, as gemm.
    const cg = shape.c / groups, kg = shape.k / groups;
    const tol = (depth: number): Tolerance => ({ atol: 1e-5 * Math.sqrt(depth + 1), rtol: 1e-5 });
    expectClose(cudaToArray(gpu.y), cpu.y, tol(cg * shape.r * shape.s), 'cudaConv2dForward');
    expectClose(cudaToArray(gpu.dx), cpu.dx, tol(kg * shape.r * shape.s), 'cudaConv2dBackwardData');
    expectClose(cudaToArray(gpu.dw), cpu.dw, tol(shape.n * p * q), 'cudaConv2dBackwardWeight dw');
    expectClose(cudaToArray(gpu.dbias), cpu.dbias, { atol: 1e-6, rtol: 2 ** -22 }, 'cudaConv2dBackwardWeight dbias');
  });
});

describe.skipIf(!hasCuda)(`cuda memory stays flat over a training-like loop${why}`, () => {
  it('allocates nothing new once the cache is warm', () => {
    const step = (): void => {
      const x = cudaAlloc(4 * 4096), y = cudaAlloc(4 * 4096);
      cudaRandomUniform(x, 1, 0);
      cudaUnary('relu', x, y);
      x.dispose();
      y.dispose();
    };
    step();
    cudaSynchronize();
    const before = cudaMemoryStats();
    for (let i = 0; i < 100; i++) step();
    cudaSynchronize();
    const after = cudaMemoryStats();
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.deviceAllocations).toBe(before.deviceAllocations);
  });
});
