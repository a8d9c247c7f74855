/**
 * Tensor creation: from data, constants, ranges, identity and seeded random numbers (native Philox).
 */
import { DTYPES, floatToHalf, floatToBfloat16, type DType, type DTypeArrays, type TypedArray } from '../tensor/dtype.js';
import { checkShape, numel, shapeString, type Shape } from '../tensor/shape.js';
import { Storage, parseDevice, type Device } from '../tensor/storage.js';
import { Tensor } from '../tensor/tensor.js';
import { backendFor } from '../tensor/backend.js';
import { toDevice } from './device.js';

/** Options of creation functions. */
export interface CreateOptions {
  /** Element type. Default 'float32' (for `tensor` of a typed array: that array's type). */
  dtype?: DType;
  /** Device. Default 'cpu'. */
  device?: Device;
  /** Make a leaf that requires grad. */
  requiresGrad?: boolean;
}

/** Options of random creation functions. */
export interface RandomOptions extends CreateOptions {
  /** Seed: the same seed (and shape) gives the same numbers on every machine and thread count.
   *  Without it, numbers come from the global generator (see `manualSeed`). */
  seed?: number;
}

/** Nested arrays of numbers, booleans or bigints. */
export type NestedInput = number | boolean | bigint | readonly NestedInput[];

/** Moves a tensor built on the host to the requested device, then sets requiresGrad. */
function finish(built: Tensor, options: CreateOptions | undefined): Tensor {
  let t = built;
  const device = parseDevice(options?.device, 'tensor');
  if (t.device !== device) {
    t = toDevice(built, device);
    built.dispose();
  }
  if (options?.requiresGrad) t.setRequiresGrad(true);
  return t;
}

function checkDType(op: string, dtype: DType): void {
  if (!DTYPES.includes(dtype)) throw new Error(`${op}: unknown dtype '${String(dtype)}' (expected one of ${DTYPES.join(', ')})`);
}

/**
 * An uninitialised tensor (contents are whatever the allocator left): for outputs about to be written.
 * @example
 * const y = empty([2, 3]);
 */
export function empty(shape: Shape, options?: CreateOptions): Tensor {
  checkShape('empty', shape);
  const dtype = options?.dtype ?? 'float32';
  checkDType('empty', dtype);
  const device = parseDevice(options?.device, 'empty');
  return finish(new Tensor(Storage.alloc(dtype, numel(shape), device), [...shape]), options);
}

/**
 * A tensor filled with `value`.
 * @example
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 */
export function full(shape: Shape, value: number, options?: CreateOptions): Tensor {
  const t = empty(shape, { ...options, requiresGrad: false });
  backendFor(t.device).fill(t, value);
  return finish(t, options);
}

/**
 * A tensor of zeros.
 * @example
 * zeros([2, 3]);
 */
export function zeros(shape: Shape, options?: CreateOptions): Tensor {
  return full(shape, 0, options);
}

/**
 * A tensor of ones.
 * @example
 * ones([3]);
 */
export function ones(shape: Shape, options?: CreateOptions): Tensor {
  return full(shape, 1, options);
}

/**
 * Zeros with the shape, dtype and device of `t`.
 * @example
 * const g = zerosLike(w);
 */
export function zerosLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, device: t.device, ...options });
}

/**
 * Ones with the shape, dtype and device of `t`.
 * @example
 * const g = onesLike(loss);
 */
export function onesLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, device: t.device, ...options });
}

/**
 * A 0-d tensor holding one number.
 * @example
 * scalar(2).item(); // 2
 */
export function scalar(value: number, options?: CreateOptions): Tensor {
  return full([], value, options);
}

function fromValues(op: string, values: ArrayLike<number | boolean | bigint>, dtype: DType): Storage {
  const s = Storage.alloc(dtype, values.length);
  const data = s.data as TypedArray;
  const n = values.length;
  if (dtype === 'int64') {
    const d = data as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      d[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    }
  } else if (dtype === 'float16' || dtype === 'bfloat16') {
    const enc = dtype === 'float16' ? floatToHalf : floatToBfloat16;
    for (let i = 0; i < n; i++) (data as Uint16Array)[i] = enc(Number(values[i]));
  } else {
    const d = data as Float32Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      d[i] = typeof v === 'number' ? v : Number(v);
    }
  }
  return s;
}

function inferShape(op: string, data: NestedInput): number[] {
  const shape: number[] = [];
  let level: NestedInput = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0] as NestedInput;
  }
  if (shape.length === 0 && typeof data !== 'number' && typeof data !== 'boolean' && typeof data !== 'bigint') {
    throw new Error(`${op}: expected numbers, booleans, bigints or nested arrays of them`);
  }
  return shape;
}

function flattenInto(op: string, data: NestedInput, shape: number[], dim: number, out: (number | boolean | bigint)[]): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new Error(`${op}: ragged nested array (expected shape ${shapeString(shape)})`);
    out.push(data as number | boolean | bigint);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(`${op}: ragged nested array: expected ${shape[dim]} items at depth ${dim} (shape ${shapeString(shape)})`);
  }
  for (const item of data) flattenInto(op, item as NestedInput, shape, dim + 1, out);
}

/**
 * A tensor from nested arrays, or from a typed array with a shape (copied into native memory).
 * A typed array gives its own dtype by default (Uint16Array: 'float16'; pass dtype 'bfloat16' for bf16 bits).
 * @example
 * tensor([[1, 2], [3, 4]]);
 * tensor(new Int32Array([1, 2, 3]), { shape: [3] });
 * tensor([true, false], { dtype: 'bool' });
 */
export function tensor(data: NestedInput | TypedArray, options?: CreateOptions & { shape?: Shape }): Tensor {
  parseDevice(options?.device, 'tensor');
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    const dtype = options?.dtype ?? defaultDType(arr);
    const shape = options?.shape ?? [arr.length];
    checkShape('tensor', shape);
    if (numel(shape) !== arr.length) {
      throw new Error(`tensor: shape ${shapeString(shape)} needs ${numel(shape)} elements but the array has ${arr.length}`);
    }
    let storage: Storage;
    if (dtype === defaultDType(arr) || (dtype === 'bool' && arr instanceof Uint8Array) || (dtype === 'bfloat16' && arr instanceof Uint16Array)) {
      storage = Storage.fromArray(dtype, arr as DTypeArrays[typeof dtype]);
    } else {
      storage = fromValues('tensor', arr as ArrayLike<number | bigint>, dtype);
    }
    return finish(new Tensor(storage, [...shape]), options);
  }
  const nested = data as NestedInput;
  const shape = inferShape('tensor', nested);
  const flat: (number | boolean | bigint)[] = [];
  flattenInto('tensor', nested, shape, 0, flat);
  if (options?.shape !== undefined && numel(options.shape) !== flat.length) {
    throw new Error(`tensor: shape ${shapeString(options.shape)} needs ${numel(options.shape)} elements but the data has ${flat.length}`);
  }
  const dtype = options?.dtype ?? (typeof flat[0] === 'boolean' ? 'bool' : typeof flat[0] === 'bigint' ? 'int64' : 'float32');
  checkDType('tensor', dtype);
  return finish(new Tensor(fromValues('tensor', flat, dtype), options?.shape ? [...options.shape] : shape), options);
}

function defaultDType(arr: TypedArray): DType {
  if (arr instanceof Float32Array) return 'float32';
  if (arr instanceof Int32Array) return 'int32';
  if (arr instanceof BigInt64Array) return 'int64';
  if (arr instanceof Uint8Array) return 'uint8';
  if (arr instanceof Uint16Array) return 'float16';
  throw new Error(`tensor: unsupported typed array ${(arr as object).constructor.name} (use Float32Array, Int32Array, BigInt64Array, Uint8Array or Uint16Array)`);
}

/**
 * Same as {@link tensor}: a tensor from nested arrays or a typed array.
 * @example
 * fromArray([[1, 2], [3, 4]]);
 */
export function fromArray(data: NestedInput | TypedArray, options?: CreateOptions & { shape?: Shape }): Tensor {
  return tensor(data, options);
}

/**
 * Values start, start+step, ... < end (one argument: 0 .. end-1). float32 unless dtype says otherwise.
 * @example
 * arange(5).toArray(); // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25);  // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, end?: number, step = 1, options?: CreateOptions): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a finite non-zero number (got ${step})`);
  const count = Math.max(0, Math.ceil((hi - lo) / step));
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) values[i] = lo + i * step;
  return finish(new Tensor(fromValues('arange', values, options?.dtype ?? 'float32'), [count]), options);
}

/**
 * `steps` evenly spaced values from start to end inclusive.
 * @example
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, end: number, steps: number, options?: CreateOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be an integer >= 0 (got ${steps})`);
  const values = new Array<number>(steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) values[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return finish(new Tensor(fromValues('linspace', values, options?.dtype ?? 'float32'), [steps]), options);
}

/**
 * Identity matrix (n, m), m defaulting to n.
 * @example
 * eye(3);
 */
export function eye(n: number, m = n, options?: CreateOptions): Tensor {
  const t = zeros([n, m], { ...options, device: 'cpu', requiresGrad: false });  // written on the host, then moved
  const data = t.storage.data as TypedArray;
  for (let i = 0; i < Math.min(n, m); i++) {
    if (data instanceof BigInt64Array) data[i * m + i] = 1n;
    else if (t.dtype === 'float16') data[i * m + i] = 0x3c00;
    else if (t.dtype === 'bfloat16') data[i * m + i] = 0x3f80;
    else data[i * m + i] = 1;
  }
  return finish(t, options);
}

const DEFAULT_SEED = 67280421310721;
let globalSeed = DEFAULT_SEED;
let globalOffset = 0;

/**
 * Seeds the global generator used by random ops called without a seed (rand, randn, dropout, init).
 * @example
 * manualSeed(0);
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`manualSeed: seed must be a safe integer >= 0 (got ${seed})`);
  globalSeed = seed;
  globalOffset = 0;
}

/**
 * A (seed, offset) pair reserving `count` numbers of a Philox stream: the given seed at offset 0,
 * or the global generator's next `count` positions.
 * @example
 * const { seed, offset } = nextRandom(100);
 */
export function nextRandom(count: number, seed?: number): { seed: number; offset: number } {
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`random: seed must be a safe integer >= 0 (got ${seed})`);
    return { seed, offset: 0 };
  }
  const offset = globalOffset;
  // Each draw starts on a Philox block (4 numbers), so a draw's numbers never depend on the previous size's parity.
  globalOffset += Math.ceil(count / 4) * 4;
  return { seed: globalSeed, offset };
}

function randomTensor(op: string, shape: Shape, options: RandomOptions | undefined): Tensor {
  const dtype = options?.dtype ?? 'float32';
  if (dtype !== 'float32') throw new Error(`${op}: random tensors are float32 (got dtype ${dtype})`);
  return empty(shape, { device: options?.device });
}

/**
 * Uniform numbers in [low, high) (default [0, 1)).
 * @example
 * rand([2, 2], { seed: 42 });
 */
export function rand(shape: Shape, options?: RandomOptions & { low?: number; high?: number }): Tensor {
  const t = randomTensor('rand', shape, options);
  const { seed, offset } = nextRandom(t.numel, options?.seed);
  backendFor(t.device).randomUniform(t, seed, offset, options?.low ?? 0, options?.high ?? 1);
  return finish(t, options);
}

/**
 * Normal numbers (default mean 0, std 1).
 * @example
 * randn([3, 4], { seed: 1 });
 */
export function randn(shape: Shape, options?: RandomOptions & { mean?: number; std?: number }): Tensor {
  const t = randomTensor('randn', shape, options);
  const { seed, offset } = nextRandom(t.numel, options?.seed);
  backendFor(t.device).randomNormal(t, seed, offset, options?.mean ?? 0, options?.std ?? 1);
  return finish(t, options);
}

/**
 * 1 with probability p, else 0 (float32).
 * @example
 * bernoulli([10], 0.3, { seed: 5 });
 */
export function bernoulli(shape: Shape, p: number, options?: RandomOptions): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: p must be in [0, 1] (got ${p})`);
  const t = randomTensor('bernoulli', shape, options);
  const { seed, offset } = nextRandom(t.numel, options?.seed);
  backendFor(t.device).randomBernoulli(t, p, seed, offset);
  return finish(t, options);
}
