/**
 * CUDA kernels emulated on the host, for checking `cuda_backend.ts` on machines without a GPU: each
 * `cuda*` entry point of `@graft/native` that the CUDA backend calls runs the matching CPU kernel on
 * typed-array views of the emulated device buffers (see emulated-native.ts). The views cover exactly
 * the bytes the backend passes, so a slice that is too short, starts at the wrong element or has the
 * wrong dtype makes the CPU kernel reject it or compute something else, and the results differ from
 * the CPU backend's. What this cannot check is the CUDA code itself (native/src/cuda): the GPU suites do.
 *
 * Like emulated-native.ts, it imports neither `@graft/native` nor `@graft/core` at run time, since a
 * `vi.mock` factory loads it while they are loading.
 * @example
 * vi.mock('@graft/native', async (importOriginal) =>
 *   (await import('./emulated-kernels.js')).emulatedKernels(await importOriginal()));
 */
import type * as Native from '@graft/native';
// dtype.ts imports nothing, so loading it here does not load @graft/core.
import {
  arrayFor, bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat, isIntegral, itemSize, type DType, type DTypeArrays, type TypedArray,
} from '../src/tensor/dtype.js';
import { emulatedNative, type EmulatedBuffer } from './emulated-native.js';

type NativeModule = typeof Native;
type Ref = Native.DeviceRef;

function isSlice(ref: Ref): ref is Native.DeviceSlice {
  return 'buffer' in ref;
}

function isRef(value: unknown): value is Ref {
  return typeof value === 'object' && value !== null && ('host' in value || ('buffer' in value && 'byteOffset' in value));
}

/** The host block behind `ref` and the byte range it names (a whole buffer, or a slice of one). */
function bytesOf(ref: Ref): { host: ArrayBuffer; byteOffset: number; byteLength: number } {
  const buffer = (isSlice(ref) ? ref.buffer : ref) as EmulatedBuffer;
  if (buffer.disposed) throw new Error('emulated CUDA kernel: the device buffer was disposed');
  return { host: buffer.host, byteOffset: isSlice(ref) ? ref.byteOffset : 0, byteLength: isSlice(ref) ? ref.byteLength : buffer.bytes };
}

/** The elements of `dtype` in exactly the bytes `ref` names. */
function typed<D extends DType>(dtype: D, ref: Ref): DTypeArrays[D] {
  const { host, byteOffset, byteLength } = bytesOf(ref);
  const size = itemSize(dtype);
  if (byteOffset % size !== 0 || byteLength % size !== 0) {
    throw new Error(`emulated CUDA kernel: a slice at byte ${byteOffset} of ${byteLength} bytes is not made of ${dtype} elements`);
  }
  return arrayFor(dtype, host, byteOffset, byteLength / size);
}

const f32 = (ref: Ref): Float32Array => typed('float32', ref);
const i32 = (ref: Ref): Int32Array => typed('int32', ref);
const u8 = (ref: Ref): Uint8Array => typed('uint8', ref);

/** An argument object with each device buffer replaced by a float32 view (int32 for the named fields). */
function onHost<T extends object>(args: T, int32Fields: readonly string[] = []): never {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    out[key] = isRef(value) ? (int32Fields.includes(key) ? i32(value) : f32(value)) : value;
  }
  return out as never;
}

// The cast kernel's rules are those of @graft/core's `toDType` (float to integer truncates,
// non-finite to 0; float16 and bfloat16 round to nearest even): decoded to a number, then encoded.
function decode(dtype: DType, raw: number | bigint): number {
  if (dtype === 'float16') return halfToFloat(raw as number);
  if (dtype === 'bfloat16') return bfloat16ToFloat(raw as number);
  return Number(raw);
}

function encode(dtype: DType, v: number): number | bigint {
  const finite = Number.isFinite(v);
  switch (dtype) {
    case 'float16': return floatToHalf(v);
    case 'bfloat16': return floatToBfloat16(v);
    case 'int64': return BigInt(finite ? Math.trunc(v) : 0);
    case 'int32': return finite ? Math.trunc(v) | 0 : 0;
    case 'uint8': return finite ? Math.trunc(v) & 0xff : 0;
    case 'bool': return v !== 0 ? 1 : 0;
    default: return v;
  }
}

function cast(src: Ref, from: DType, dst: Ref, to: DType, n: number, scale: number): void {
  const a: TypedArray = typed(from, src), b: TypedArray = typed(to, dst);
  for (let i = 0; i < n; i++) {
    const value = decode(from, a[i] as number | bigint);
    b[i] = encode(to, isIntegral(from) && to === 'float32' ? value * scale : value) as never;
  }
}

/** Byte-wise strided copy of `shape` elements of `size` bytes. */
function stridedCopy(shape: readonly number[], src: Ref, so: number, ss: readonly number[], dst: Ref, d0: number, ds: readonly number[], size: number): void {
  const from = u8(src), to = u8(dst);
  const n = shape.reduce((p, s) => p * s, 1);
  const index = new Array<number>(shape.length).fill(0);
  let s = so, d = d0;
  for (let i = 0; i < n; i++) {
    to.set(from.subarray(s * size, s * size + size), d * size);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++(index[k] as number) < (shape[k] as number)) { s += ss[k] as number; d += ds[k] as number; break; }
      s -= ((index[k] as number) - 1) * (ss[k] as number);
      d -= ((index[k] as number) - 1) * (ds[k] as number);
      index[k] = 0;
    }
  }
}

function fill(out: Ref, size: number, lo: number, hi: number): void {
  const bytes = u8(out);
  const pattern = new Uint8Array(8);
  new DataView(pattern.buffer).setUint32(0, lo >>> 0, true);
  new DataView(pattern.buffer).setUint32(4, hi >>> 0, true);
  for (let at = 0; at < bytes.length; at += size) bytes.set(pattern.subarray(0, size), at);
}

/**
 * A copy of `values` rounded as tensor cores read them: 'tf32' to 10 mantissa bits, ties away from zero
 * (cvt.rna.tf32.f32); 'bf16' to 7, ties to even. 'float32' (or no precision) returns `values` itself.
 * The CUDA GEMM and convolution kernels round each operand element once, as it enters shared memory,
 * so rounding the operands and running the float32 CPU kernel gives the same products.
 */
function roundedFor(precision: Native.CudaPrecision | undefined, values: Float32Array): Float32Array {
  if (precision === undefined || precision === 'float32') return values;
  if (precision === 'bf16') return values.map((v) => bfloat16ToFloat(floatToBfloat16(v)));
  const out = new Float32Array(values), bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i] as number;
    if ((u & 0x7f800000) !== 0x7f800000) bits[i] = (u + 0x1000) & 0xffffe000;  // infinities and NaN pass unchanged
  }
  return out;
}

/**
 * `@graft/native` with one emulated CUDA device whose kernels are the CPU's (see the file comment).
 * @example
 * vi.mock('@graft/native', async (importOriginal) => (await import('./emulated-kernels.js')).emulatedKernels(await importOriginal()));
 */
// y (outer, m, inner) from x (outer, n, inner): y[o, j, i] = x[o, row(o, j, i), i], NaN where the row is
// outside [0, n), as cudaIndexSelect and cudaGather.
function selectRows(x: Float32Array, outer: number, n: number, inner: number, m: number,
  row: (o: number, j: number, i: number) => number, y: Float32Array): void {
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++)
      for (let i = 0; i < inner; i++) {
        const k = row(o, j, i);
        y[(o * m + j) * inner + i] = k >= 0 && k < n ? x[(o * n + k) * inner + i] : NaN;
      }
}

// dx (outer, n, inner) += dy (outer, m, inner) at dx[o, row(o, j, i), i], skipping rows outside [0, n),
// as cudaIndexAdd and cudaScatterAdd (in order here; the GPU's atomic adds may come in any order).
function addRows(dy: Float32Array, outer: number, m: number, inner: number,
  row: (o: number, j: number, i: number) => number, n: number, dx: Float32Array): void {
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++)
      for (let i = 0; i < inner; i++) {
        const k = row(o, j, i);
        if (k >= 0 && k < n) dx[(o * n + k) * inner + i] += dy[(o * m + j) * inner + i];
      }
}

export function emulatedKernels(real: NativeModule): NativeModule {
  const r = real;
  const kernels: Partial<NativeModule> = {
    cudaFill: (out, size, lo, hi = 0) => fill(out, size, lo, hi),
    cudaStridedCopy: stridedCopy,
    cudaCast: (src, from, dst, to, n, scale = 1) => cast(src, from, dst, to, n, scale),
    cudaUnary: (op, x, y, params) => r.unary(op, f32(x), f32(y), params),
    cudaUnaryBackward: (op, x, y, dy, dx, params) => r.unaryBackward(op, f32(x), f32(y), f32(dy), f32(dx), params),
    cudaBinary: (op, shape, a, ao, as, b, bo, bs, out) => r.binary(op, shape, f32(a), ao, as, f32(b), bo, bs, f32(out)),
    cudaWhere: (shape, c, co, cs, a, ao, as, b, bo, bs, out) => r.where(shape, f32(c), co, cs, f32(a), ao, as, f32(b), bo, bs, f32(out)),
    cudaLerp: (a, b, w, out) => r.lerp(f32(a), f32(b), f32(w), f32(out)),
    cudaReduce: (op, x, outer, n, inner, y) => r.reduce(op, f32(x), outer, n, inner, f32(y)),
    cudaArgReduce: (op, x, outer, n, inner, y) => r.argReduce(op, f32(x), outer, n, inner, i32(y)),
    cudaSoftmax: (x, outer, d, inner, y) => r.softmax(f32(x), outer, d, inner, f32(y)),
    cudaLogSoftmax: (x, outer, d, inner, y) => r.logSoftmax(f32(x), outer, d, inner, f32(y)),
    cudaSoftmaxBackward: (y, dy, outer, d, inner, dx) => r.softmaxBackward(f32(y), f32(dy), outer, d, inner, f32(dx)),
    cudaLogSoftmaxBackward: (y, dy, outer, d, inner, dx) => r.logSoftmaxBackward(f32(y), f32(dy), outer, d, inner, f32(dx)),
    cudaGemm: ({ precision, ...g }) => {
      const h: Parameters<NativeModule['gemm']>[0] = onHost(g);
      r.gemm({ ...h, a: roundedFor(precision, h.a), b: roundedFor(precision, h.b) });
    },
    // The CUDA kernels keep indices on the device, so an index outside [0, n) is not an error there: it
    // selects NaN and adds nothing (indexing.cu). The CPU kernels throw; these loops follow the GPU.
    cudaIndexSelect: (x, outer, n, inner, indices, m, y) => {
      const idx = i32(indices);
      if (idx.length !== m) throw new Error(`emulated cudaIndexSelect: ${idx.length} indices in the slice, m = ${m}`);
      selectRows(f32(x), outer, n, inner, m, (_o, j) => idx[j], f32(y));
    },
    cudaIndexAdd: (dy, outer, m, inner, indices, n, dx) => {
      const idx = i32(indices);
      addRows(f32(dy), outer, m, inner, (_o, j) => idx[j], n, f32(dx));
    },
    cudaGather: (x, outer, n, inner, index, m, y) => {
      const idx = i32(index);
      selectRows(f32(x), outer, n, inner, m, (o, j, i) => idx[(o * m + j) * inner + i], f32(y));
    },
    cudaScatterAdd: (dy, outer, m, inner, index, n, dx) => {
      const idx = i32(index);
      addRows(f32(dy), outer, m, inner, (o, j, i) => idx[(o * m + j) * inner + i], n, f32(dx));
    },
    cudaOneHot: (labels, count, classes, out) => {
      const l = i32(labels);
      if (l.length !== count) throw new Error(`emulated cudaOneHot: ${l.length} labels in the slice, count = ${count}`);
      r.oneHot(l, classes, f32(out));
    },
    cudaConv2dForward: ({ precision, ...a }) => {
      const h: Parameters<NativeModule['conv2dForward']>[0] = onHost(a);
      r.conv2dForward({ ...h, x: roundedFor(precision, h.x), weight: roundedFor(precision, h.weight) });
    },
    cudaConv2dBackwardData: ({ precision, ...a }) => {
      const h: Parameters<NativeModule['conv2dBackwardData']>[0] = onHost(a);
      r.conv2dBackwardData({ ...h, dy: roundedFor(precision, h.dy), weight: roundedFor(precision, h.weight) });
    },
    cudaConv2dBackwardWeight: ({ precision, ...a }) => {
      const h: Parameters<NativeModule['conv2dBackwardWeight']>[0] = onHost(a);
      r.conv2dBackwardWeight({ ...h, x: roundedFor(precision, h.x), dy: roundedFor(precision, h.dy) });
    },
    cudaMaxPool2dForward: (a) => r.maxPool2dForward(onHost(a, ['indices'])),
    cudaMaxPool2dBackward: (a) => r.maxPool2dBackward(onHost(a, ['indices'])),
    cudaAvgPool2dForward: (a) => r.avgPool2dForward(onHost(a)),
    cudaAvgPool2dBackward: (a) => r.avgPool2dBackward(onHost(a)),
    cudaAdaptiveAvgPool2dForward: (a) => r.adaptiveAvgPool2dForward(onHost(a)),
    cudaAdaptiveAvgPool2dBackward: (a) => r.adaptiveAvgPool2dBackward(onHost(a)),
    cudaBatchNormTrain: (a) => r.batchNormTrain(onHost(a)),
    cudaBatchNormEval: (a) => r.batchNormEval(onHost(a)),
    cudaBatchNormBackward: (a) => r.batchNormBackward(onHost(a)),
    cudaBatchNormBackwardEval: (a) => r.batchNormBackwardEval(onHost(a)),
    cudaLayerNorm: (a) => r.layerNorm(onHost(a)),
    cudaLayerNormBackward: (a) => r.layerNormBackward(onHost(a)),
    cudaRandomUniform: (out, seed, offset, low, high) => r.randomUniform(f32(out), seed, offset, low, high),
    cudaRandomNormal: (out, seed, offset, mean, std) => r.randomNormal(f32(out), seed, offset, mean, std),
    cudaRandomBernoulli: (out, p, seed, offset) => r.randomBernoulli(f32(out), p, seed, offset),
    cudaDropout: (x, y, mask, p, seed, offset) => r.dropout({ x: f32(x), y: f32(y), mask: u8(mask), p, seed, offset }),
    cudaDropoutBackward: (dy, mask, p, dx) => r.dropoutBackward({ dy: f32(dy), mask: u8(mask), p, dx: f32(dx) }),
    cudaCrossEntropy: (a) => r.crossEntropy(onHost(a, ['targets'])),
    cudaBceWithLogits: (a) => r.bceWithLogits(onHost(a)),
  };
  return { ...emulatedNative(real), ...kernels } as NativeModule;
}
