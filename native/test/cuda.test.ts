// The CUDA backend's entry points and device memory. The error suites run on every build and check that
// a build without CUDA, or a machine without a GPU, gives a clear Error naming the op and no crash; the
// memory suites need a GPU and are skipped, with the reason, where there is none. The kernels are
// checked against the CPU in cuda_gemm.test.ts, cuda_elementwise.test.ts and cuda_train.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import {
  cudaConv2dBackwardData, cudaConv2dBackwardWeight, cudaConv2dForward, cudaCrossEntropy, cudaBatchNormBackward,
  cudaBatchNormBackwardEval, cudaBatchNormEval, cudaBatchNormTrain, cudaArgReduce, cudaLogSoftmax,
  cudaLogSoftmaxBackward, cudaReduce, cudaSoftmax, cudaSoftmaxBackward, capabilities, cudaAdamStep, cudaAlloc,
  cudaBinary, cudaClipGradNorm, cudaDownload, cudaEmptyCache, cudaFromArray, cudaGemm, cudaLayerNorm, cudaLayerNormBackward, cudaMemoryStats,
  cudaRandomBernoulli, cudaRandomNormal, cudaRandomUniform, cudaSgdStep, cudaSynchronize, cudaToArray,
  cudaUnary, cudaUnaryBackward, cudaUpload, type DeviceBuffer,
} from '@graft/native';
import { randomArray, seededRandom } from './helpers.js';

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
    ['cudaLayerNorm', 'x', () => cudaLayerNorm({ x: fake, rows: 1, d: 2, eps: 1e-5, y: fake, saveMean: fake, saveInvStd: fake })],
    ['cudaLayerNormBackward', 'x', () => cudaLayerNormBackward({ x: fake, dy: fake, rows: 1, d: 2, saveMean: fake, saveInvStd: fake })],
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
