/**
 * The IDX format of MNIST, Fashion-MNIST and KMNIST, raw or gzipped: a big-endian header
 * `00 00 <type> <ndim>`, `ndim` uint32 dimensions, then the data in C order.
 */
import { TensorDataset } from '../dataset.js';
import { readMaybeGzip } from './files.js';

/** Arrays an IDX file can hold, by its type byte. */
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file. */
export interface IdxTensor {
  data: IdxArray;
  shape: number[];
}

type IdxType = { name: string; bytes: number; make: (n: number) => IdxArray; read: (v: DataView, o: number) => number };

const IDX_TYPES: Record<number, IdxType> = {
  0x08: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o) },
  0x0c: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o) },
  0x0d: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o) },
  0x0e: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o) },
};

/**
 * Decodes IDX bytes (already gunzipped); `file` names the source in errors.
 * @example
 * const { data, shape } = parseIdx(bytes, 'train-labels-idx1-ubyte'); // shape [60000]
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxTensor {
  if (bytes.length < 4) throw new Error(`readIdx: ${file} is truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = IDX_TYPES[bytes[2] as number];
  const ndim = bytes[3] as number;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || ndim === 0) {
    throw new Error(`readIdx: ${file} has magic number 0x${magic.toString(16).padStart(8, '0')}, not an IDX header (00 00 <type 08|09|0b|0c|0d|0e> <ndim>)`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new Error(`readIdx: ${file} is truncated inside its header (${bytes.length} of ${headerBytes} bytes)`);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'is truncated' : 'has trailing bytes';
    throw new Error(`readIdx: ${file} ${what}: header says ${type.name} [${shape.join(', ')}] = ${expected} bytes, file has ${bytes.length}`);
  }
  if (type.bytes === 1) {
    const data = type.make(count);
    data.set(type.name === 'uint8' ? bytes.subarray(headerBytes) : new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count));
    return { data, shape };
  }
  const data = type.make(count);
  for (let i = 0; i < count; i++) data[i] = type.read(view, headerBytes + i * type.bytes);
  return { data, shape };
}

/**
 * Reads an IDX file, raw or gzipped.
 * @example
 * const images = await readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'); // shape [10000, 28, 28]
 */
export async function readIdx(file: string): Promise<IdxTensor> {
  return parseIdx(await readMaybeGzip(file, 'readIdx'), file);
}

/** Options of {@link idxDataset}. */
export interface IdxDatasetOptions {
  classNames?: readonly string[];
}

/**
 * A dataset from an IDX image file (uint8 `[n, h, w]` or `[n, h, w, c]`) and an IDX label file (uint8 `[n]`);
 * images become `[n, c, h, w]` uint8.
 * @example
 * const test = await idxDataset('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');
 */
export async function idxDataset(imagesFile: string, labelsFile: string, options: IdxDatasetOptions = {}): Promise<TensorDataset> {
  const [images, labels] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  if (!(images.data instanceof Uint8Array) || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw new Error(`idxDataset: ${imagesFile} must hold uint8 images [n, h, w] or [n, h, w, c], got ${images.data.constructor.name} [${images.shape.join(', ')}]`);
  }
  if (!(labels.data instanceof Uint8Array) || labels.shape.length !== 1) {
    throw new Error(`idxDataset: ${labelsFile} must hold uint8 labels [n], got ${labels.data.constructor.name} [${labels.shape.join(', ')}]`);
  }
  const [n, h, w, c = 1] = images.shape as [number, number, number, number?];
  if (labels.shape[0] !== n) {
    throw new Error(`idxDataset: ${imagesFile} has ${n} images but ${labelsFile} has ${labels.shape[0]} labels`);
  }
  const pixels = c === 1 ? images.data : hwcToChw(images.data, n, h, w, c);
  return new TensorDataset(pixels, [n, c, h, w], Int32Array.from(labels.data), { ...options, name: imagesFile });
}

/** x (N,H,W,C) -> y (N,C,H,W). */
export function hwcToChw(x: Uint8Array, n: number, h: number, w: number, c: number): Uint8Array {
  const y = new Uint8Array(x.length);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const base = i * plane * c;
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) y[base + ch * plane + p] = x[base + p * c + ch] as number;
  }
  return y;
}
