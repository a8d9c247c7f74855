// CUDA conv2d (implicit GEMM) at every precision and on every block tile, checked against the CPU
// reference. Every suite needs a GPU (`capabilities().cudaDevices` non-empty) and is skipped, with the
// reason, where there is none; cuda.test.ts checks the errors a build without CUDA or a GPU gives.
import { afterEach, describe, expect, it } from 'vitest';
import {
  conv2dBackwardData, conv2dBackwardWeight, conv2dForward, conv2dOutputSize, cudaConv2dBackwardData,
  cudaConv2dBackwardWeight, cudaConv2dForward, cudaToArray, type Conv2dShape, type CudaPrecision,
} from '@graft/native';
import { deviceBuffers, hasCuda, precisions, productTolerance, why } from './cuda_helpers.js';
import { expectClose, randomArray, seededRandom } from './helpers.js';

const { dev, devZeros, disposeAll } = deviceBuffers();

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
  // Strides the backward data splits into phases: a phase with no taps (r = 2 < stride 3), padding past
  // the stride, groups; an input one row high; and a dilated stride, which it does not split.
  { n: 2, c: 6, h: 8, w: 7, k: 4, r: 2, s: 3, stride: 3, padding: [1, 2], groups: 2 },
  { n: 2, c: 3, h: 1, w: 5, k: 2, r: 1, s: 3, stride: 2 },
  { n: 2, c: 2, h: 9, w: 9, k: 3, r: 3, s: 3, stride: 2, dilation: 2, padding: 2 },
  ...splitShapes,
];

// A shape's random inputs, its float64 reference results, and the tolerance of each result at `precision`:
// sums of `depth` products of values in [-1, 1] take gemm's tolerance for the precision (the bias and
// its gradient stay float32/double in every precision).
function convCase(shape: Conv2dShape) {
  const { p, q } = conv2dOutputSize(shape);
  const groups = shape.groups ?? 1;
  const xSize = shape.n * shape.c * shape.h * shape.w, wSize = shape.k * (shape.c / groups) * shape.r * shape.s;
  const ySize = shape.n * shape.k * p * q;
  const rand = seededRandom(xSize + wSize);
  const x = randomArray(xSize, rand), weight = randomArray(wSize, rand), bias = randomArray(shape.k, rand);
  const dy = randomArray(ySize, rand);
  const ref = { y: new Float32Array(ySize), dx: new Float32Array(xSize), dw: new Float32Array(wSize), dbias: new Float32Array(shape.k) };
  conv2dForward({ ...shape, x, weight, bias, y: ref.y }, 'ref');
  conv2dBackwardData({ ...shape, dy, weight, dx: ref.dx }, 'ref');
  conv2dBackwardWeight({ ...shape, x, dy, dw: ref.dw, dbias: ref.dbias }, 'ref');
  const cg = shape.c / groups, kg = shape.k / groups;
  const depths = { y: cg * shape.r * shape.s, dx: kg * shape.r * shape.s, dw: shape.n * p * q };
  return { x, weight, bias, dy, ref, depths };
}

type ConvResults = { y: Float32Array; dx: Float32Array; dw: Float32Array; dbias: Float32Array };

function convOnGpu(shape: Conv2dShape, c: ReturnType<typeof convCase>, precision: CudaPrecision): ConvResults {
  const gpu = { y: devZeros(c.ref.y.length), dx: devZeros(c.ref.dx.length), dw: devZeros(c.ref.dw.length), dbias: devZeros(shape.k) };
  const [xd, wd, dyd] = [dev(c.x), dev(c.weight), dev(c.dy)];
  cudaConv2dForward({ ...shape, x: xd, weight: wd, bias: dev(c.bias), y: gpu.y, precision });
  cudaConv2dBackwardData({ ...shape, dy: dyd, weight: wd, dx: gpu.dx, precision });
  cudaConv2dBackwardWeight({ ...shape, x: xd, dy: dyd, dw: gpu.dw, dbias: gpu.dbias, precision });
  return { y: cudaToArray(gpu.y), dx: cudaToArray(gpu.dx), dw: cudaToArray(gpu.dw), dbias: cudaToArray(gpu.dbias) };
}

function expectConvClose(got: ConvResults, c: ReturnType<typeof convCase>, precision: CudaPrecision, label = ''): void {
  const tol = productTolerance[precision];
  expectClose(got.y, c.ref.y, tol(c.depths.y), `cudaConv2dForward${label}`);
  expectClose(got.dx, c.ref.dx, tol(c.depths.dx), `cudaConv2dBackwardData${label}`);
  expectClose(got.dw, c.ref.dw, tol(c.depths.dw), `cudaConv2dBackwardWeight dw${label}`);
  expectClose(got.dbias, c.ref.dbias, { atol: 1e-6, rtol: 2 ** -22 }, `cudaConv2dBackwardWeight dbias${label}`);
}

const bits = (values: Float32Array): Uint32Array => new Uint32Array(values.buffer, values.byteOffset, values.length);

describe.skipIf(!hasCuda).each(precisions)(`cuda conv2d (implicit GEMM, %s)${why}`, (precision) => {
  afterEach(disposeAll);

  it.each(convShapes)('forward, backward data and backward weight: %o', (shape) => {
    const c = convCase(shape);
    expectConvClose(convOnGpu(shape, c, precision), c, precision);
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

// The block tile (64x64, 64x128 or 128x128) only decides which block computes an output, never its
// bits: each output sums its products in the same order on every tile. The problems here are too small
// for the wide tiles to be chosen (they would leave SMs idle), so GRAFT_CONV_TILE forces each.
const tileShapes: Conv2dShape[] = [
  { n: 2, c: 9, h: 13, w: 11, k: 130, r: 3, s: 3, padding: 1 }, // more filters than a 128-row tile, odd sizes
  { n: 3, c: 20, h: 10, w: 12, k: 70, r: 1, s: 1, stride: 2 },
  { n: 2, c: 4, h: 9, w: 9, k: 6, r: 3, s: 3, dilation: 2, padding: 2, groups: 2 },
  { n: 8, c: 2, h: 32, w: 32, k: 2, r: 1, s: 1, groups: 2 }, // backward weight split in two (N*P*Q = 8192), per group
];
const tiles = ['64x64', '64x128', '128x128'];
const savedWgmma = process.env.GRAFT_WGMMA;

describe.skipIf(!hasCuda).each(precisions)(`cuda conv2d block tiles (%s)${why}`, (precision) => {
  afterEach(() => {
    delete process.env.GRAFT_CONV_TILE;
    process.env.GRAFT_WGMMA = savedWgmma;
    if (savedWgmma === undefined) delete process.env.GRAFT_WGMMA;
    disposeAll();
  });

  it.each(tileShapes)('every tile gives the same bits: %o', (shape) => {
    const c = convCase(shape);
    const byTile = tiles.map((tile) => {
      process.env.GRAFT_CONV_TILE = tile;
      const got = convOnGpu(shape, c, precision);
      expectConvClose(got, c, precision, ` on ${tile} tiles`);
      return got;
    });
    for (const [i, got] of byTile.entries()) {
      for (const key of ['y', 'dx', 'dw', 'dbias'] as const) expect(bits(got[key]), `${key} on ${tiles[i]} tiles`).toEqual(bits(byTile[0][key]));
    }
  });

  it('names GRAFT_CONV_TILE and the tiles it accepts when it holds anything else', () => {
    process.env.GRAFT_CONV_TILE = '96x96';
    const c = convCase(tileShapes[2]);
    expect(() => convOnGpu(tileShapes[2], c, precision)).toThrow(
      "cudaConv2dForward: GRAFT_CONV_TILE is '96x96'; expected 64x64, 64x128 or 128x128 (or unset)");
  });

  it.skipIf(precision === 'float32')('names GRAFT_WGMMA and the values it accepts when it holds anything else', () => {
    process.env.GRAFT_WGMMA = 'on';
    const c = convCase(tileShapes[2]);
    expect(() => convOnGpu(tileShapes[2], c, precision)).toThrow("cudaConv2dForward: GRAFT_WGMMA is 'on'; expected 0, 1 or unset");
  });
});
