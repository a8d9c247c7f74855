/**
 * Element types. `float32` is the compute type; the others hold labels, masks, images and weights
 * read from files (`float16`/`bfloat16` as raw Uint16Array bits, converted with `.float()`).
 */

/** The element type of a tensor. */
export type DType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool' | 'float16' | 'bfloat16';

/** The typed array that stores each dtype. */
export interface DTypeArrays {
  float32: Float32Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
}

/** Any typed array a tensor may be stored in. */
export type TypedArray = DTypeArrays[DType];

/**
 * Every dtype name, for validation.
 * @example
 * DTYPES.includes('int64'); // true
 */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'int64', 'uint8', 'bool', 'float16', 'bfloat16'];

/**
 * Bytes per element.
 * @example
 * itemSize('float16'); // 2
 */
export function itemSize(dtype: DType): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'int64':
      return 8;
    case 'float16':
    case 'bfloat16':
      return 2;
    case 'uint8':
    case 'bool':
      return 1;
  }
}

/**
 * A typed-array view of the right kind over `buffer`.
 * @example
 * const xs = arrayFor('float32', new ArrayBuffer(16), 0, 4); // Float32Array(4)
 */
export function arrayFor<D extends DType>(dtype: D, buffer: ArrayBuffer, byteOffset: number, length: number): DTypeArrays[D];
export function arrayFor(dtype: DType, buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, length);
  }
}

/**
 * The dtype a typed array holds by default (Uint8Array -> 'uint8', Uint16Array -> 'float16').
 * @example
 * dtypeOfArray(new Int32Array(2)); // 'int32'
 */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  return 'float16';
}

/**
 * Whether values of this dtype are integers (labels, indices, masks).
 * @example
 * isIntegral('int64'); // true
 */
export function isIntegral(dtype: DType): boolean {
  return dtype === 'int32' || dtype === 'int64' || dtype === 'uint8' || dtype === 'bool';
}

/**
 * Decodes an IEEE half-precision bit pattern.
 * @example
 * halfToFloat(0x3c00); // 1
 */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Encodes a number as IEEE half-precision bits (round to nearest even).
 * @example
 * floatToHalf(1); // 0x3c00
 */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  let half = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half += 1;
  return half;
}

/**
 * Decodes bfloat16 bits (the top half of a float32).
 * @example
 * bfloat16ToFloat(0x3f80); // 1
 */
export function bfloat16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

/**
 * Encodes a number as bfloat16 bits (round to nearest even).
 * @example
 * floatToBfloat16(1); // 0x3f80
 */
export function floatToBfloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
