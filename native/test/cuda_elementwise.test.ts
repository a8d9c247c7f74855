// CUDA elementwise maps, reductions, softmax and random numbers checked against the CPU kernels and
// references. Every suite needs a GPU (`capabilities().cudaDevices` non-empty) and is skipped, with the
// reason, where there is none; cuda.test.ts checks the errors a build without CUDA or a GPU gives.
import { afterEach, describe, expect, it } from 'vitest';
import {
  argReduce, binary, cudaArgReduce, cudaLogSoftmax, cudaLogSoftmaxBackward, cudaReduce, cudaSoftmax,
  cudaSoftmaxBackward, logSoftmax, logSoftmaxBackward, reduce, softmax, softmaxBackward,
  cudaBinary, cudaDownload, cudaRandomBernoulli, cudaRandomNormal, cudaRandomUniform,
  cudaToArray, cudaUnary, cudaUnaryBackward, randomBernoulli, randomNormal, randomUniform, unary,
  unaryBackward, type ArgReduceOp, type BinaryOp, type DeviceBuffer, type DeviceSlice, type ReduceOp, type UnaryOp,
} from '@graft/native';
import { deviceBuffers, hasCuda, why } from './cuda_helpers.js';
import { expectClose, randomArray, seededRandom, type Tolerance } from './helpers.js';

// Buffers made in a test are disposed after it.
const { dev, devZeros, disposeAll } = deviceBuffers();

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
  afterEach(disposeAll);

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

  // Packed operands run 4 at a time where every pointer is 16-byte aligned; a slice starting one float in
  // takes the one-by-one path, and sizes that are not a multiple of 4 end with a tail.
  it('packed operands give the same values aligned, misaligned and with a tail', () => {
    for (const n of [4, 13, 1003]) {
      const rand = seededRandom(n);
      const x = randomArray(n + 1, rand, -3, 3), b = randomArray(n + 1, rand, -2, 2), dy = randomArray(n + 1, rand);
      const [xd, bd, dyd] = [dev(x), dev(b), dev(dy)];
      for (const start of [0, 1]) {
        const slice = (buffer: DeviceBuffer): DeviceSlice => ({ buffer, byteOffset: 4 * start, byteLength: 4 * n });
        const xs = x.subarray(start, start + n), bs = b.subarray(start, start + n), dys = dy.subarray(start, start + n);
        const y = new Float32Array(n), dx = new Float32Array(n), sum = new Float32Array(n);
        unary('gelu', xs, y, unaryParams);
        unaryBackward('gelu', xs, y, dys, dx, unaryParams);
        binary('add', [n], xs, 0, [1], bs, 0, [1], sum);
        const yd = devZeros(n + 1), dxd = devZeros(n + 1), sumd = devZeros(n + 1);
        cudaUnary('gelu', slice(xd), slice(yd), unaryParams);
        cudaUnaryBackward('gelu', slice(xd), slice(yd), slice(dyd), slice(dxd), unaryParams);
        cudaBinary('add', [n], slice(xd), 0, [1], slice(bd), 0, [1], slice(sumd));
        const label = `n=${n} start=${start}`;
        expectClose(cudaToArray(yd).subarray(start, start + n), y, mapTolerance, `cudaUnary ${label}`);
        expectClose(cudaToArray(dxd).subarray(start, start + n), dx, { atol: 1e-5, rtol: 1e-5 }, `cudaUnaryBackward ${label}`);
        expect(Array.from(cudaToArray(sumd).subarray(start, start + n)), `cudaBinary ${label}`).toEqual(Array.from(sum));
      }
    }
  });

  it('rejects a view that reaches past its buffer', () => {
    expect(() => cudaBinary('add', [2, 3], devZeros(5), 0, [3, 1], devZeros(3), 0, [0, 1], devZeros(6)))
      .toThrow(/cudaBinary: argument 'a' \(5 elements\) cannot hold the view of shape \[2, 3\]/);
  });
});
// (outer, r, inner): rows (inner 1) of up to 1024 values run a warp per row, 8 to a block, longer ones a
// block per row; columns (inner > 1) a thread per column. Sizes cross the warp, the 8 rows of a block, the
// 1024 limit and the 256-thread block, and include 1, primes and an empty reduced dim.
const lineShapes: Array<[number, number, number]> = [
  [1, 1, 1], [3, 7, 1], [2, 257, 1], [19, 33, 1], [9, 1024, 1], [3, 1025, 1], [5, 3001, 1], [1, 13, 5], [4, 9, 33],
  [2, 300, 129], [3, 0, 4], [0, 5, 5],
];

describe.skipIf(!hasCuda)(`cuda reductions and softmax${why}`, () => {
  afterEach(disposeAll);

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
describe.skipIf(!hasCuda)(`cuda random numbers: the CPU's stream mapping${why}`, () => {
  afterEach(disposeAll);

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
