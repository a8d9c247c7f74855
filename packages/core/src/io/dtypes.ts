/**
 * Safetensors element types, the typed arrays that hold them, and float16/bfloat16 <-> float32
 * conversion. F16 and BF16 elements are kept as their raw 16-bit patterns in a Uint16Array; BOOL as
 * one byte (0 or 1) in a Uint8Array; I64 in a BigInt64Array.
 */

/** Element types that Graft reads and writes in safetensors files. */
export type Dtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U8' | 'BOOL';

/** Every {@link Dtype}, for validation and help text. */
export const DTYPES: readonly Dtype[] = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL'];

/** The typed array that holds the elements of each dtype. */
export interface DtypeArrayMap {
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  F64: Float64Array;
  I64: BigInt64Array;
  I32: Int32Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/** Any array that can hold a safetensors tensor's elements. */
export type DtypeArray = DtypeArrayMap[Dtype];

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, BOOL: 1,
};

/**
 * True when `name` is a dtype Graft knows.
 * @example
 * isDtype('F16'); // true
 * isDtype('F8_E4M3'); // false
 */
export function isDtype(name: unknown): name is Dtype {
  return typeof name === 'string' && (DTYPES as readonly string[]).includes(name);
}

/**
 * A zeroed typed array of `length` elements of `dtype`.
 * @example
 * allocate('I64', 3); // BigInt64Array [0n, 0n, 0n]
 */
export function allocate<D extends Dtype>(dtype: D, length: number): DtypeArrayMap[D] {
  return viewBytes(dtype, new ArrayBuffer(length * DTYPE_SIZE[dtype]));
}

/**
 * Views (part of) a buffer as the typed array of `dtype` (no copy); the offset must be aligned.
 * @example
 * viewBytes('F32', new ArrayBuffer(8)); // Float32Array(2)
 */
export function viewBytes<D extends Dtype>(dtype: D, buffer: ArrayBuffer, byteOffset = 0, length?: number): DtypeArrayMap[D] {
  const n = length ?? (buffer.byteLength - byteOffset) / DTYPE_SIZE[dtype];
  const views: { [K in Dtype]: (b: ArrayBuffer) => DtypeArrayMap[K] } = {
    F32: (b) => new Float32Array(b, byteOffset, n), F16: (b) => new Uint16Array(b, byteOffset, n),
    BF16: (b) => new Uint16Array(b, byteOffset, n), F64: (b) => new Float64Array(b, byteOffset, n),
    I64: (b) => new BigInt64Array(b, byteOffset, n), I32: (b) => new Int32Array(b, byteOffset, n),
    U8: (b) => new Uint8Array(b, byteOffset, n), BOOL: (b) => new Uint8Array(b, byteOffset, n),
  };
  return views[dtype](buffer);
}

/**
 * The dtype a typed array most naturally holds (Uint16Array is taken as F16, Uint8Array as U8).
 * @example
 * dtypeOfArray(new Int32Array(1)); // 'I32'
 */
export function dtypeOfArray(data: DtypeArray): Dtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint16Array) return 'F16';
  return 'U8';
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * IEEE half (binary16) bit pattern -> number (exact).
 * @example
 * halfToFloat(0x3c00); // 1
 */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * number -> IEEE half bit pattern, rounding to nearest even (as PyTorch's `.half()`).
 * @example
 * floatToHalf(1); // 0x3c00
 */
export function floatToHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) r++;
  return sign | r;
}

/**
 * bfloat16 bit pattern -> number (exact).
 * @example
 * bfloat16ToFloat(0x3f80); // 1
 */
export function bfloat16ToFloat(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0];
}

/**
 * number -> bfloat16 bit pattern, rounding to nearest even (NaN stays a quiet NaN).
 * @example
 * floatToBfloat16(1); // 0x3f80
 */
export function floatToBfloat16(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Converts any dtype's elements to float32 (F16/BF16 decoded, integers and booleans converted).
 * @example
 * toFloat32('F16', Uint16Array.from([0x3c00])); // Float32Array [1]
 */
export function toFloat32(dtype: Dtype, data: DtypeArray): Float32Array {
  if (dtype === 'F32') return data as Float32Array;
  const out = new Float32Array(data.length);
  if (dtype === 'F16') for (let i = 0; i < out.length; i++) out[i] = halfToFloat((data as Uint16Array)[i]);
  else if (dtype === 'BF16') for (let i = 0; i < out.length; i++) out[i] = bfloat16ToFloat((data as Uint16Array)[i]);
  else if (dtype === 'I64') for (let i = 0; i < out.length; i++) out[i] = Number((data as BigInt64Array)[i]);
  else for (let i = 0; i < out.length; i++) out[i] = (data as Float64Array | Int32Array | Uint8Array)[i];
  return out;
}

/**
 * Converts float32 values to `dtype` (rounding to nearest even for F16/BF16, truncating toward zero
 * for integers, `v !== 0` for BOOL).
 * @example
 * fromFloat32('BF16', Float32Array.from([1])); // Uint16Array [0x3f80]
 */
export function fromFloat32<D extends Dtype>(dtype: D, values: Float32Array): DtypeArrayMap[D] {
  const out = allocate(dtype, values.length);
  const n = values.length;
  if (dtype === 'F16') for (let i = 0; i < n; i++) (out as Uint16Array)[i] = floatToHalf(values[i]);
  else if (dtype === 'BF16') for (let i = 0; i < n; i++) (out as Uint16Array)[i] = floatToBfloat16(values[i]);
  else if (dtype === 'I64') for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = BigInt(Math.trunc(values[i]));
  else if (dtype === 'BOOL') for (let i = 0; i < n; i++) (out as Uint8Array)[i] = values[i] !== 0 ? 1 : 0;
  else for (let i = 0; i < n; i++) (out as Float32Array | Float64Array | Int32Array | Uint8Array)[i] = values[i];
  return out;
}
