// CUDA kernels behind device tensors (fill, strided copy, cast, byte transfers, where, pooling, indexing,
// dropout, BCE with logits) checked against the CPU kernels and references on odd shapes. Every suite
// needs a GPU and is skipped, with the reason, where there is none; the last suite checks the errors a
// machine without one gives.
import { afterEach, describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward, bceWithLogits,
  capabilities, castFloat32ToInt32, castToFloat32, cudaAdaptiveAvgPool2dBackward, cudaAdaptiveAvgPool2dForward,
  cudaAlloc, cudaAvgPool2dBackward, cudaAvgPool2dForward, cudaBceWithLogits, cudaCast, cudaDropout,
  cudaDropoutBackward, cudaFill, cudaGather, cudaIndexAdd, cudaIndexSelect, cudaMaxPool2dBackward,
  cudaMaxPool2dForward, cudaOneHot, cudaReadBytes, cudaScatterAdd, cudaStridedCopy, cudaUnary, cudaWhere,
  cudaWriteBytes, dropout, dropoutBackward, gather, indexAdd, indexSelect, maxPool2dBackward, maxPool2dForward,
  oneHot, pool2dOutputSize, scatterAdd, stridedCopy, where, type ByteArray, type DeviceBuffer, type MaxPool2dShape,
} from '@graft/native';
import { expectClose, randomArray, randomInts, seededRandom, type Tolerance } from './helpers.js';

const caps = capabilities();
const hasCuda = caps.cudaDevices.length > 0;
const why = hasCuda ? '' : ` (skipped: no CUDA device: ${caps.cudaUnavailableReason})`;

const made: DeviceBuffer[] = [];
/** A device buffer holding a copy of `data` (any typed array), disposed after the test. */
function dev(data: ByteArray): DeviceBuffer {
  const buffer = cudaAlloc(data.byteLength);
  made.push(buffer);
  cudaWriteBytes(buffer, data);
  return buffer;
}
function devBytes(bytes: number): DeviceBuffer {
  const buffer = cudaAlloc(bytes);
  made.push(buffer);
  return buffer;
}
function read<T extends ByteArray>(buffer: DeviceBuffer, out: T): T {
  cudaReadBytes(buffer, out);
  return out;
}
const readF32 = (b: DeviceBuffer, n: number): Float32Array => read(b, new Float32Array(n));

const exact: Tolerance = { atol: 0, rtol: 0 };
// Sums in double on both sides, rounded once to float, but in another order: 1 ulp of float.
const doubleSum: Tolerance = { atol: 1e-7, rtol: 2 ** -23 };

describe.skipIf(!hasCuda)(`cuda tensor plumbing${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it('fills 1-, 2-, 4- and 8-byte elements, in a slice only', () => {
    const b = dev(new Uint8Array(40));
    cudaFill({ buffer: b, byteOffset: 3, byteLength: 5 }, 1, 0xab);
    expect([...read(b, new Uint8Array(10))]).toEqual([0, 0, 0, 0xab, 0xab, 0xab, 0xab, 0xab, 0, 0]);
    cudaFill({ buffer: b, byteOffset: 8, byteLength: 8 }, 8, 0x89abcdef, 0x01234567);
    expect(read(b, new BigInt64Array(2))[1]).toBe(0x0123456789abcdefn);
    cudaFill(b, 4, 0x3f800000);
    expect([...readF32(b, 10)]).toEqual(new Array(10).fill(1));
    cudaFill({ buffer: b, byteOffset: 2, byteLength: 4 }, 2, 0x3c00);
    expect([...read(b, new Uint16Array(4))]).toEqual([0, 0x3c00, 0x3c00, 0x3f80]);
  });

  it('moves every typed array through write/read bytes, at an offset', () => {
    const data = BigInt64Array.from([-3n, 2n ** 40n, 7n]);
    const b = devBytes(64);
    cudaWriteBytes({ buffer: b, byteOffset: 8, byteLength: 24 }, data);
    const back = new BigInt64Array(3);
    cudaReadBytes({ buffer: b, byteOffset: 8, byteLength: 24 }, back);
    expect([...back]).toEqual([...data]);
    expect(() => cudaWriteBytes({ buffer: b, byteOffset: 48, byteLength: 16 }, data)).toThrow(/cudaWriteBytes: argument 'data' has 24 bytes but 'dst' holds only 16/);
    expect(() => cudaReadBytes({ buffer: b, byteOffset: 60, byteLength: 8 }, back)).toThrow(/slice of bytes \[60, 68\) of a buffer of 64 bytes/);
  });

  it.each([1, 2, 4] as const)('strided copy of %i-byte elements matches the CPU copy (transpose, broadcast, offsets)', (size) => {
    const rand = seededRandom(size);
    const src = randomArray(6 * 7 * 5, rand, -100, 100);
    const cases: [number[], number, number[], number[]][] = [
      [[7, 6], 0, [1, 7], [6, 1]],            // transpose of (6, 7)
      [[5, 7, 6], 3, [0, 1, 7], [42, 6, 1]],  // broadcast along the first dim, from an offset
      [[3, 1, 5], 11, [35, 9, 2], [5, 5, 1]], // a strided slice with a size-1 dim
    ];
    // Each float is copied as 4/size elements of `size` bytes: one more dim of 4/size, strides widened.
    const k = 4 / size;
    const wide = (xs: number[]): number[] => [...xs.map((s) => s * k), 1];
    for (const [shape, offset, srcStrides, dstStrides] of cases) {
      const count = shape.reduce((a, b) => a * b, 1);
      const expected = new Float32Array(count);
      stridedCopy(shape, src, offset, srcStrides, expected, 0, dstStrides);
      const d = devBytes(count * 4);
      cudaStridedCopy([...shape, k], dev(src), offset * k, wide(srcStrides), d, 0, wide(dstStrides), size);
      expectClose(readF32(d, count), expected, exact, `strided copy ${size}-byte ${shape.join('x')}`);
    }
  });

  it('strided copy of 8-byte elements transposes int64 values', () => {
    const values = BigInt64Array.from({ length: 12 }, (_, i) => BigInt(i) * 10_000_000_000n - 7n);
    const d = devBytes(96);
    cudaStridedCopy([4, 3], dev(values), 0, [1, 4], d, 0, [3, 1], 8);
    const out = read(d, new BigInt64Array(12));
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expect(out[i * 3 + j]).toBe(values[j * 4 + i]);
  });

  it('refuses overlapping copies and views outside their buffer', () => {
    const b = devBytes(64);
    expect(() => cudaStridedCopy([8], b, 0, [1], b, 4, [1], 4)).toThrow(/cudaStridedCopy: the 'src' and 'dst' views share memory/);
    expect(() => cudaStridedCopy([8], b, 10, [1], devBytes(64), 0, [1], 4)).toThrow(/cudaStridedCopy: argument 'src'.*cannot hold the view/);
  });

  it('casts like the CPU: uint8/int32 to float with a scale, float to int32 (truncating, saturating, NaN to 0)', () => {
    const rand = seededRandom(3);
    const pixels = Uint8Array.from({ length: 1001 }, () => Math.floor(rand() * 256));
    const expected = new Float32Array(1001);
    castToFloat32(pixels, expected, 1 / 255);
    const out = devBytes(4 * 1001);
    cudaCast(dev(pixels), 'uint8', out, 'float32', 1001, 1 / 255);
    expectClose(readF32(out, 1001), expected, exact, 'uint8 -> float32 / 255');
    const ints = randomInts(77, rand, 1 << 30);
    castToFloat32(ints, expected.subarray(0, 77), 3);
    cudaCast(dev(ints), 'int32', out, 'float32', 77, 3);
    expectClose(readF32(out, 77), expected.subarray(0, 77), exact, 'int32 -> float32 * 3');
    const floats = Float32Array.from([1.9, -1.9, NaN, Infinity, -Infinity, 3e9, -3e9, 0.5, -0.0, 123456.7]);
    const ref = new Int32Array(floats.length);
    castFloat32ToInt32(floats, ref);
    const got = devBytes(4 * floats.length);
    cudaCast(dev(floats), 'float32', got, 'int32', floats.length);
    expect([...read(got, new Int32Array(floats.length))]).toEqual([...ref]);
  });

  it('casts to and from float16, bfloat16, int64, uint8 and bool with core\'s rules', () => {
    const floats = Float32Array.from([1, 0.1, 65504, 65520, 1e-8, 6e-8, -2.5, NaN, 300.7, -1]);
    const n = floats.length;
    const src = dev(floats);
    const f16 = devBytes(2 * n), bf16 = devBytes(2 * n), i64 = devBytes(8 * n), u8 = devBytes(n), bool = devBytes(n);
    cudaCast(src, 'float32', f16, 'float16', n);
    cudaCast(src, 'float32', bf16, 'bfloat16', n);
    cudaCast(src, 'float32', i64, 'int64', n);
    cudaCast(src, 'float32', u8, 'uint8', n);
    cudaCast(src, 'float32', bool, 'bool', n);
    // Expected bits from IEEE half/bfloat16 round-to-nearest-even (what core's floatToHalf gives).
    expect([...read(f16, new Uint16Array(n))]).toEqual([0x3c00, 0x2e66, 0x7bff, 0x7c00, 0x0000, 0x0001, 0xc100, 0x7e00, 0x5cb3, 0xbc00]);
    expect([...read(bf16, new Uint16Array(n))].slice(0, 3)).toEqual([0x3f80, 0x3dcd, 0x4780]);
    expect([...read(i64, new BigInt64Array(n))]).toEqual([1n, 0n, 65504n, 65520n, 0n, 0n, -2n, 0n, 300n, -1n]);
    expect([...read(u8, new Uint8Array(n))]).toEqual([1, 0, 0xe0, 0xf0, 0, 0, 254, 0, 44, 255]);
    expect([...read(bool, new Uint8Array(n))]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const back = devBytes(4 * n);
    cudaCast(f16, 'float16', back, 'float32', n);
    expect(readF32(back, n)[1]).toBe(0.0999755859375);
    cudaCast(i64, 'int64', back, 'float32', n);
    expect([...readF32(back, n)].slice(0, 3)).toEqual([1, 0, 65504]);
  });

  it('where with broadcasting matches the CPU', () => {
    const rand = seededRandom(9);
    const shape = [3, 5, 7];
    const cond = Float32Array.from({ length: 35 }, () => (rand() < 0.5 ? 0 : 1));
    const a = randomArray(3 * 5 * 7, rand), b = randomArray(7, rand);
    const expected = new Float32Array(105);
    where(shape, cond, 0, [0, 7, 1], a, 0, [35, 7, 1], b, 0, [0, 0, 1], expected);
    const out = devBytes(4 * 105);
    cudaWhere(shape, dev(cond), 0, [0, 7, 1], dev(a), 0, [35, 7, 1], dev(b), 0, [0, 0, 1], out);
    expectClose(readF32(out, 105), expected, exact, 'where');
  });

  it('kernels read a slice at its offset (a tensor that is a view into its storage)', () => {
    const x = Float32Array.from([-1, -2, 3, -4, 5, -6]);
    const b = dev(x);
    cudaUnary('relu', { buffer: b, byteOffset: 8, byteLength: 12 }, { buffer: b, byteOffset: 8, byteLength: 12 });
    expect([...readF32(b, 6)]).toEqual([-1, -2, 3, 0, 5, -6]);
  });
});

const windows: MaxPool2dShape[] = [
  { n: 1, c: 1, h: 1, w: 1, kernelSize: 1 },
  { n: 2, c: 3, h: 7, w: 7, kernelSize: 3, stride: 2, padding: 1 },
  { n: 2, c: 3, h: 9, w: 10, kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
  { n: 1, c: 2, h: 10, w: 11, kernelSize: [3, 2], stride: [2, 3], padding: 1, dilation: 2, ceilMode: true },
  { n: 3, c: 7, h: 6, w: 17, kernelSize: [2, 4], stride: 1, padding: [1, 2] },
  { n: 2, c: 5, h: 13, w: 11, kernelSize: 5, stride: 3, padding: 2, ceilMode: true },
];

describe.skipIf(!hasCuda)(`cuda pooling against the CPU reference${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it.each(windows)('max pool forward and backward %o', (s) => {
    const { p, q } = pool2dOutputSize(s);
    const nx = s.n * s.c * s.h * s.w, ny = s.n * s.c * p * q;
    const rand = seededRandom(nx);
    const x = randomArray(nx, rand);
    x[0] = NaN;  // NaN wins, as in PyTorch
    const y = new Float32Array(ny), idx = new Int32Array(ny);
    maxPool2dForward({ ...s, x, y, indices: idx }, 'ref');
    const [yd, id] = [devBytes(4 * ny), devBytes(4 * ny)];
    cudaMaxPool2dForward({ ...s, x: dev(x), y: yd, indices: id });
    expectClose(readF32(yd, ny), y, exact, 'max pool y');
    expect([...read(id, new Int32Array(ny))]).toEqual([...idx]);
    const dy = randomArray(ny, rand), dx = new Float32Array(nx);
    maxPool2dBackward({ ...s, dy, indices: idx, dx }, 'ref');
    const dxd = devBytes(4 * nx);
    cudaMaxPool2dBackward({ ...s, dy: dev(dy), indices: id, dx: dxd });
    expectClose(readF32(dxd, nx), dx, doubleSum, 'max pool dx');
  });

  it.each(windows.filter((s) => s.dilation === undefined).flatMap((s) => [true, false].map((countIncludePad) => ({ ...s, countIncludePad }))))(
    'avg pool forward and backward %o', (s) => {
      const { p, q } = pool2dOutputSize(s);
      const nx = s.n * s.c * s.h * s.w, ny = s.n * s.c * p * q;
      const rand = seededRandom(ny);
      const x = randomArray(nx, rand), y = new Float32Array(ny);
      avgPool2dForward({ ...s, x, y }, 'ref');
      const yd = devBytes(4 * ny);
      cudaAvgPool2dForward({ ...s, x: dev(x), y: yd });
      expectClose(readF32(yd, ny), y, doubleSum, 'avg pool y');
      const dy = randomArray(ny, rand), dx = new Float32Array(nx);
      avgPool2dBackward({ ...s, dy, dx }, 'ref');
      const dxd = devBytes(4 * nx);
      cudaAvgPool2dBackward({ ...s, dy: dev(dy), dx: dxd });
      expectClose(readF32(dxd, nx), dx, doubleSum, 'avg pool dx');
    },
  );

  it.each([
    { n: 2, c: 3, h: 7, w: 7, outH: 1, outW: 1 },
    { n: 1, c: 4, h: 10, w: 13, outH: 3, outW: 5 },
    { n: 2, c: 2, h: 5, w: 3, outH: 7, outW: 4 },
    { n: 3, c: 512, h: 7, w: 7, outH: 1, outW: 1 },
  ])('adaptive avg pool forward and backward %o', (s) => {
    const nx = s.n * s.c * s.h * s.w, ny = s.n * s.c * s.outH * s.outW;
    const rand = seededRandom(nx);
    const x = randomArray(nx, rand), y = new Float32Array(ny);
    adaptiveAvgPool2dForward({ ...s, x, y }, 'ref');
    const yd = devBytes(4 * ny);
    cudaAdaptiveAvgPool2dForward({ ...s, x: dev(x), y: yd });
    expectClose(readF32(yd, ny), y, doubleSum, 'adaptive y');
    const dy = randomArray(ny, rand), dx = new Float32Array(nx);
    adaptiveAvgPool2dBackward({ ...s, dy, dx }, 'ref');
    const dxd = devBytes(4 * nx);
    cudaAdaptiveAvgPool2dBackward({ ...s, dy: dev(dy), dx: dxd });
    expectClose(readF32(dxd, nx), dx, doubleSum, 'adaptive dx');
  });
});

// Atomic adds sum a destination's few terms in any order in float: a few ulps of the largest sum.
const atomicSum: Tolerance = { atol: 1e-6, rtol: 1e-6 };

describe.skipIf(!hasCuda)(`cuda indexing, dropout and BCE against the CPU${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it('indexSelect/indexAdd and gather/scatterAdd (repeated indices) match the CPU', () => {
    const rand = seededRandom(17);
    const [outer, n, inner, m] = [3, 11, 5, 13];
    const x = randomArray(outer * n * inner, rand), indices = randomInts(m, rand, n);
    const y = new Float32Array(outer * m * inner);
    indexSelect(x, outer, n, inner, indices, y);
    const yd = devBytes(4 * y.length);
    cudaIndexSelect(dev(x), outer, n, inner, dev(indices), m, yd);
    expectClose(readF32(yd, y.length), y, exact, 'indexSelect');
    const dx = new Float32Array(x.length);
    indexAdd(y, outer, m, inner, indices, dx);
    const dxd = dev(new Float32Array(x.length));
    cudaIndexAdd(yd, outer, m, inner, dev(indices), n, dxd);
    expectClose(readF32(dxd, dx.length), dx, atomicSum, 'indexAdd');
    const index = randomInts(outer * m * inner, rand, n);
    gather(x, outer, n, inner, index, y);
    const gd = devBytes(4 * y.length);
    cudaGather(dev(x), outer, n, inner, dev(index), m, gd);
    expectClose(readF32(gd, y.length), y, exact, 'gather');
    dx.fill(0);
    scatterAdd(y, outer, m, inner, index, dx);
    const sd = dev(new Float32Array(x.length));
    cudaScatterAdd(gd, outer, m, inner, dev(index), n, sd);
    expectClose(readF32(sd, dx.length), dx, atomicSum, 'scatterAdd');
  });

  it('oneHot matches the CPU; out-of-range indices give NaN instead of a host check', () => {
    const labels = Int32Array.from([2, 0, 4, 4, 1]);
    const expected = new Float32Array(25);
    oneHot(labels, 5, expected);
    const out = devBytes(100);
    cudaOneHot(dev(labels), 5, 5, out);
    expectClose(readF32(out, 25), expected, exact, 'oneHot');
    cudaOneHot(dev(Int32Array.from([7])), 1, 5, out);
    expect([...readF32(out, 5)].every(Number.isNaN)).toBe(true);
    cudaIndexSelect(dev(Float32Array.from([1, 2])), 1, 2, 1, dev(Int32Array.from([1, -1])), 2, out);
    expect(readF32(out, 2)[0]).toBe(2);
    expect(Number.isNaN(readF32(out, 2)[1])).toBe(true);
  });

  it.each([0, 0.1, 0.5, 1])('dropout p=%d gives the CPU mask bit for bit at an odd offset', (p) => {
    const n = 10_007;
    const x = randomArray(n, seededRandom(5));
    const y = new Float32Array(n), mask = new Uint8Array(n);
    dropout({ x, y, mask, p, seed: 1234, offset: 3 });
    const [yd, md] = [devBytes(4 * n), devBytes(n)];
    cudaDropout(dev(x), yd, md, p, 1234, 3);
    expect(Buffer.from(read(md, new Uint8Array(n))).equals(Buffer.from(mask))).toBe(true);
    expectClose(readF32(yd, n), y, exact, 'dropout y');
    const dy = randomArray(n, seededRandom(6)), dx = new Float32Array(n);
    dropoutBackward({ dy, mask, p, dx });
    const dxd = devBytes(4 * n);
    cudaDropoutBackward(dev(dy), md, p, dxd);
    expectClose(readF32(dxd, n), dx, exact, 'dropout dx');
  });

  it.each(['none', 'mean', 'sum'] as const)('bceWithLogits (%s, pos weights) matches the CPU', (reduction) => {
    const [n, c] = [37, 7];
    const rand = seededRandom(8);
    const logits = randomArray(n * c, rand, -20, 20), targets = randomArray(n * c, rand, 0, 1);
    const posWeight = randomArray(c, rand, 0.5, 3);
    const losses = new Float32Array(reduction === 'none' ? n * c : 1), dlogits = new Float32Array(n * c);
    bceWithLogits({ logits, targets, n, c, posWeight, reduction, losses, dlogits });
    const [ld, gd] = [devBytes(4 * losses.length), devBytes(4 * n * c)];
    cudaBceWithLogits({ logits: dev(logits), targets: dev(targets), n, c, posWeight: dev(posWeight), reduction, losses: ld, dlogits: gd });
    // Device expf/log1pf may differ from the host's by an ulp: 1e-6 relative.
    const tol: Tolerance = { atol: 1e-7, rtol: 1e-6 };
    expectClose(readF32(ld, losses.length), losses, tol, `bce losses ${reduction}`);
    expectClose(readF32(gd, n * c), dlogits, tol, `bce dlogits ${reduction}`);
  });
});

describe.skipIf(hasCuda)('cuda tensor kernels without a GPU', () => {
  it('say why they cannot run', () => {
    const reason = caps.cudaCompiled ? /no CUDA device/ : /built without CUDA/;
    expect(() => cudaAlloc(16)).toThrow(reason);
  });
});
