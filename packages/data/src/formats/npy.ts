/**
 * NumPy .npy files (format versions 1, 2 and 3): magic `\x93NUMPY`, version, header length, a Python-dict
 * header `{'descr': '<f4', 'fortran_order': False, 'shape': (n, ...), }`, then the data in C order.
 */
import { TensorDataset } from '../dataset.js';
import { readWhole } from './files.js';

/** The element types read from .npy, and the arrays they become. */
export type NpyDType = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';
/** Array holding .npy data; int64 becomes BigInt64Array. */
export type NpyArray = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array;

/** A decoded .npy file. */
export interface NpyTensor {
  data: NpyArray;
  shape: number[];
  dtype: NpyDType;
}

const DESCR: Record<string, { dtype: NpyDType; bytes: number; make: (b: ArrayBuffer, n: number) => NpyArray }> = {
  '<f4': { dtype: 'float32', bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  '<f8': { dtype: 'float64', bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
  '|u1': { dtype: 'uint8', bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  '<u1': { dtype: 'uint8', bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  '<i4': { dtype: 'int32', bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  '<i8': { dtype: 'int64', bytes: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
};

function headerField(header: string, key: string, file: string): string {
  const match = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  if (!match) throw new Error(`readNpy: ${file} header has no '${key}' entry: ${header.trim()}`);
  return match[1] as string;
}

/**
 * Decodes .npy bytes; `file` names the source in errors. Only little-endian C-order arrays of the
 * {@link NpyDType} types are accepted.
 * @example
 * const { data, shape, dtype } = parseNpy(bytes, 'x.npy');
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) throw new Error(`readNpy: ${file} does not start with the .npy magic \\x93NUMPY`);
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw new Error(`readNpy: ${file} has .npy format version ${major}.${bytes[7]}, expected 1, 2 or 3`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new Error(`readNpy: ${file} is truncated inside its header`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (bytes.length < dataStart) throw new Error(`readNpy: ${file} is truncated inside its header (${bytes.length} of ${dataStart} bytes)`);
  const header = Buffer.from(bytes.subarray(8 + lenBytes, dataStart)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = headerField(header, 'descr', file).slice(1, -1);
  const type = DESCR[descr];
  if (!type) throw new Error(`readNpy: ${file} has dtype '${descr}'; supported: little-endian float32, float64, uint8, int32, int64`);
  if (headerField(header, 'fortran_order', file) !== 'False') throw new Error(`readNpy: ${file} is in Fortran order; only C order is supported`);
  const dims = headerField(header, 'shape', file).slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = dims.map((d) => {
    const v = Number(d.replace(/L$/, ''));
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`readNpy: ${file} has a bad shape entry '${d}'`);
    return v;
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = dataStart + count * type.bytes;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'is truncated' : 'has trailing bytes';
    throw new Error(`readNpy: ${file} ${what}: ${type.dtype} (${shape.join(', ')}) needs ${expected} bytes, file has ${bytes.length}`);
  }
  // Copy into a fresh, aligned buffer (the data offset is not always a multiple of the element size).
  // (Buffer.prototype.slice would return a view, so copy explicitly.)
  const copy = new Uint8Array(expected - dataStart);
  copy.set(bytes.subarray(dataStart, expected));
  return { data: type.make(copy.buffer, count), shape, dtype: type.dtype };
}

/**
 * Reads a .npy file.
 * @example
 * const { data, shape } = await readNpy('features.npy');
 */
export async function readNpy(file: string): Promise<NpyTensor> {
  return parseNpy(await readWhole(file, 'readNpy'), file);
}

function toLabels(t: NpyTensor, file: string): Int32Array {
  if (t.shape.length !== 1) throw new Error(`npyDataset: ${file} labels must be 1-D, got shape (${t.shape.join(', ')})`);
  if (t.dtype === 'float32' || t.dtype === 'float64') throw new Error(`npyDataset: ${file} labels must be integers, got ${t.dtype}`);
  const labels = new Int32Array(t.data.length);
  for (let i = 0; i < labels.length; i++) {
    const v = Number(t.data[i]);
    if (v < 0 || v > 0x7fffffff) throw new Error(`npyDataset: ${file} label ${i} is ${v}, not a class index`);
    labels[i] = v;
  }
  return labels;
}

/**
 * A dataset from a .npy of items `[n, ...]` (uint8 stays uint8; other types become float32) and a
 * .npy of integer labels `[n]`.
 * @example
 * const ds = await npyDataset('x_train.npy', 'y_train.npy');
 */
export async function npyDataset(itemsFile: string, labelsFile: string): Promise<TensorDataset> {
  const [items, labelTensor] = await Promise.all([readNpy(itemsFile), readNpy(labelsFile)]);
  const labels = toLabels(labelTensor, labelsFile);
  if (items.shape.length < 2) throw new Error(`npyDataset: ${itemsFile} must be [n, ...], got shape (${items.shape.join(', ')})`);
  if (items.shape[0] !== labels.length) {
    throw new Error(`npyDataset: ${itemsFile} has ${items.shape[0]} items but ${labelsFile} has ${labels.length} labels`);
  }
  const data = items.data instanceof Uint8Array || items.data instanceof Float32Array
    ? items.data
    : Float32Array.from(items.data as ArrayLike<number | bigint>, (v) => Number(v));
  return new TensorDataset(data, items.shape, labels, { name: itemsFile });
}
