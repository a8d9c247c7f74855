// CUDA GEMM at every precision, and conv2d, checked against the CPU kernels and
// references. Every suite needs a GPU (`capabilities().cudaDevices` non-empty) and is skipped, with the
// reason, where there is none; cuda.test.ts checks the errors a build without CUDA or a GPU gives.
import { afterEach, describe, expect, it } from 'vitest';
import {
  conv2dBackwardData, conv2dBackwardWeight, conv2dForward, conv2dOutputSize, cudaConv2dBackwardData,
  cudaConv2dBackwardWeight, cudaConv2dForward, capabilities, cudaFromArray, cudaGemm, cudaToArray, gemm,
  type Conv2dShape, type CudaPrecision, type DeviceBuffer,
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
// 1x1, 3x3 padded, strided, dilated, grouped and depthwise shapes; odd sizes off the 64-wide tiles;
// a ResNet-20 stage; batch 0; and two whose backward-weight reduction (N*P*Q = 9216 and 32768) is deep
// enough, against a grid of one or two dw tiles, to be split across blocks (2 and 8 splits).
const splitShapes: Conv2dShape[] = [
  { n: 16, c: 4, h: 24, w: 24, k: 6, r: 3, s: 3, padding: 1, groups: 2 },
  { n: 32, c: 3, h: 64, w: 64, k: 8, r: 7, s: 7, stride: 2, padding: 3 },
];
const convShapes: Conv2dShape[] = [
  { n: 1, c: 1, h: 1, w: 1, k: 1, r: 1, s: 1 },
  { n: 2, c: 3, h: 7, w: 5, k: 4, r: 3, s: 3, padding: 1 },
  { n: 3, c: 5, h: 11, w: 13, k: 7, r: 3, s: 2, stride: [2, 1], padding: [1, 0] },
  { n: 2, c: 4, h: 9, w: 9, k: 6, r: 3, s: 3, dilation: 2, padding: 2, groups: 2 },
  { n: 2, c: 8, h: 6, w: 6, k: 8, r: 3, s: 3, padding: 1, groups: 8 },
  { n: 4, c: 16, h: 28, w: 28, k: 32, r: 3, s: 3, stride: 2, padding: 1 },
  { n: 0, c: 2, h: 4, w: 4, k: 3, r: 3, s: 3 },
  // 1x1 with stride 2, more filters than a 64-row tile, a depth that is not a whole K step.
  { n: 3, c: 20, h: 10, w: 12, k: 70, r: 1, s: 1, stride: 2 },
  ...splitShapes,
];

describe.skipIf(!hasCuda).each(precisions)(`cuda conv2d (implicit GEMM, %s)${why}`, (precision) => {
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
    cudaConv2dForward({ ...shape, x: xd, weight: wd, bias: dev(bias), y: gpu.y, precision });
    cudaConv2dBackwardData({ ...shape, dy: dyd, weight: wd, dx: gpu.dx, precision });
    cudaConv2dBackwardWeight({ ...shape, x: xd, dy: dyd, dw: gpu.dw, dbias: gpu.dbias, precision });
    // Sums of `depth` products of values in [-1, 1] against a float64 reference, with gemm's tolerance
    // for the precision (the bias and its gradient stay float32/double in every precision).
    const cg = shape.c / groups, kg = shape.k / groups;
    const tol = gemmTolerance[precision];
    expectClose(cudaToArray(gpu.y), cpu.y, tol(cg * shape.r * shape.s), 'cudaConv2dForward');
    expectClose(cudaToArray(gpu.dx), cpu.dx, tol(kg * shape.r * shape.s), 'cudaConv2dBackwardData');
    expectClose(cudaToArray(gpu.dw), cpu.dw, tol(shape.n * p * q), 'cudaConv2dBackwardWeight dw');
    expectClose(cudaToArray(gpu.dbias), cpu.dbias, { atol: 1e-6, rtol: 2 ** -22 }, 'cudaConv2dBackwardWeight dbias');
  });

  it.each(splitShapes)('backward weight split across blocks gives the same bits on every run: %o', (shape) => {
    const { p, q } = conv2dOutputSize(shape);
    const xSize = shape.n * shape.c * shape.h * shape.w, wSize = shape.k * (shape.c / (shape.groups ?? 1)) * shape.r * shape.s;
    const rand = seededRandom(wSize);
    const [xd, dyd] = [dev(randomArray(xSize, rand)), dev(randomArray(shape.n * shape.k * p * q, rand))];
    const runs = [0, 1].map(() => {
      const dw = devZeros(wSize);
      cudaConv2dBackwardWeight({ ...shape, x: xd, dy: dyd, dw, precision });
      return cudaToArray(dw);
    });
    expect(runs[1]).toEqual(runs[0]);
  });
});
