/**
 * Safetensors: read and write the Hugging Face tensor file format.
 *
 * Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
 * `{ "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, "__metadata__": {...} }`,
 * then the data area; offsets are relative to the data area's start.
 *
 * Everything in the header is checked before any tensor is allocated: the header length (at most
 * 100 MB and inside the file), the JSON's shape, known dtypes, `size(dtype) * prod(shape) = end - begin`,
 * offsets inside the data area, and the tensors tiling the data area exactly (no gap, no overlap).
 * A bad file gives an Error naming the file, the tensor and what is wrong; no input can make the
 * reader allocate more than the file's own size.
 */
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DTYPE_SIZE, isDtype, toFloat32, viewBytes, type Dtype, type DtypeArrayMap } from './dtypes.js';

/** Largest header accepted (bytes), as the reference implementation. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as stored: its dtype, shape and elements (row-major). */
export interface TensorRecord<D extends Dtype = Dtype> {
  dtype: D;
  shape: number[];
  data: DtypeArrayMap[D];
}

/** The contents of a safetensors file. Tensors keep the order of their data in the file. */
export interface SafetensorsContents {
  tensors: Map<string, TensorRecord>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function fail(file: string, what: string): never {
  throw new Error(`safetensors '${file}': ${what}`);
}

function checkHostEndianness(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: only little-endian hosts are supported');
}

/** Checks the 8-byte length prefix against the file size; returns the header length. */
function headerLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) fail(file, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(fileSize - 8)) fail(file, `header length ${n} exceeds the ${fileSize - 8} bytes after the prefix`);
  if (n < 2n) fail(file, `header length ${n} is too short for a JSON object`);
  return Number(n);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(file, "header does not start with '{'");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) fail(file, 'header is not a JSON object');
  return json;
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainObject(value)) fail(file, "'__metadata__' is not an object of strings");
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(file, `'__metadata__' entry '${key}' is not a string`);
    metadata[key] = v;
  }
  return metadata;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, value: unknown, file: string): HeaderEntry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(value)) fail(file, `${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDtype(dtype)) fail(file, `${where}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    fail(file, `${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    fail(file, `${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const bytes = shape.reduce((p: bigint, d: number) => p * BigInt(d), BigInt(DTYPE_SIZE[dtype]));
  if (bytes !== BigInt(end - begin)) {
    fail(file, `${where}: dtype ${dtype} x shape [${shape.join(', ')}] needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Parses and fully validates a header against a data area of `dataBytes` bytes. */
function parseHeader(
  json: Record<string, unknown>, dataBytes: number, file: string,
): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = { ...parseMetadata(value, file) };
    else entries.push(parseEntry(name, value, file));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.end > dataBytes) {
      fail(file, `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] go past the ${dataBytes}-byte data area`);
    }
    if (e.begin < cursor) fail(file, `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${cursor})`);
    if (e.begin > cursor) fail(file, `tensor '${e.name}': gap of ${e.begin - cursor} unused bytes before data_offsets [${e.begin}, ${e.end}]`);
    cursor = e.end;
  }
  if (cursor !== dataBytes) fail(file, `${dataBytes - cursor} bytes at the end of the data area belong to no tensor`);
  return { entries, metadata };
}

/** The tensor's elements: a view of `data` when `share` and aligned, else a copy. */
function extractTensor(entry: HeaderEntry, data: Uint8Array, share: boolean): TensorRecord {
  const size = DTYPE_SIZE[entry.dtype];
  const start = data.byteOffset + entry.begin;
  let typed: DtypeArrayMap[Dtype];
  if (share && start % size === 0) {
    typed = viewBytes(entry.dtype, data.buffer as ArrayBuffer, start, (entry.end - entry.begin) / size);
  } else {
    const buffer = new ArrayBuffer(entry.end - entry.begin);
    new Uint8Array(buffer).set(data.subarray(entry.begin, entry.end));
    typed = viewBytes(entry.dtype, buffer);
  }
  const record = { dtype: entry.dtype, shape: entry.shape, data: typed };
  if (entry.dtype === 'BOOL') {
    const b = record.data as Uint8Array;
    for (let i = 0; i < b.length; i++) {
      if (b[i] > 1) throw new Error(`tensor '${entry.name}': BOOL element ${i} is ${b[i]}, not 0 or 1`);
    }
  }
  return record;
}

function buildContents(
  json: Record<string, unknown>, data: Uint8Array, file: string, share: boolean,
): SafetensorsContents {
  const { entries, metadata } = parseHeader(json, data.length, file);
  const tensors = new Map<string, TensorRecord>();
  for (const e of entries) {
    try {
      tensors.set(e.name, extractTensor(e, data, share));
    } catch (err) {
      fail(file, (err as Error).message);
    }
  }
  return { tensors, metadata };
}

/**
 * Parses safetensors bytes already in memory (tensors are copies); `file` names the source in errors.
 * @example
 * const { tensors } = parseSafetensors(serializeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }));
 */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  checkHostEndianness();
  const n = headerLength(bytes.subarray(0, 8), bytes.length, file);
  const json = parseJson(bytes.subarray(8, 8 + n), file);
  return buildContents(json, bytes.subarray(8 + n), file, false);
}

/**
 * Reads and validates a safetensors file. The header is read and checked before the data area is.
 * Tensors are views into one buffer holding the data area (copied only where misaligned).
 * @example
 * const { tensors, metadata } = await readSafetensors('resnet20.safetensors');
 * tensors.get('conv1.weight')?.shape; // [16, 1, 3, 3]
 */
export async function readSafetensors(file: string): Promise<SafetensorsContents> {
  checkHostEndianness();
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0);
    const n = headerLength(prefix, size, file);
    const headerBytes = new Uint8Array(n);
    await readExactly(handle, headerBytes, 8);
    const json = parseJson(headerBytes, file);
    parseHeader(json, size - 8 - n, file);
    const data = new Uint8Array(size - 8 - n);
    await readExactly(handle, data, 8 + n);
    return buildContents(json, data, file, true);
  } finally {
    await handle.close();
  }
}

async function readExactly(handle: fsp.FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`safetensors: file ended ${into.length - done} bytes early`);
    done += bytesRead;
  }
}

/** Tensors to write: a record object or a map, in the order given. */
export type TensorRecords = Record<string, TensorRecord> | Map<string, TensorRecord>;

function checkRecord(name: string, r: TensorRecord): void {
  const where = `serializeSafetensors: tensor '${name}'`;
  if (!isDtype(r.dtype)) throw new Error(`${where}: unknown dtype ${JSON.stringify(r.dtype)}`);
  if (!Array.isArray(r.shape) || !r.shape.every(isIndex)) {
    throw new Error(`${where}: shape ${JSON.stringify(r.shape)} is not an array of non-negative integers`);
  }
  const count = r.shape.reduce((p, d) => p * d, 1);
  if (r.data.length !== count) {
    throw new Error(`${where}: shape [${r.shape.join(', ')}] has ${count} elements but data has ${r.data.length}`);
  }
  if (r.data.BYTES_PER_ELEMENT !== DTYPE_SIZE[r.dtype]) {
    throw new Error(`${where}: dtype ${r.dtype} needs ${DTYPE_SIZE[r.dtype]}-byte elements, data has ${r.data.BYTES_PER_ELEMENT}`);
  }
  if (name === '__metadata__') throw new Error(`${where}: the name '__metadata__' is reserved`);
}

/**
 * Encodes tensors (and optional string metadata) as safetensors bytes. The header is padded with
 * spaces to a multiple of 8 bytes so that every tensor in the data area is 8-byte aligned.
 * @example
 * const bytes = serializeSafetensors({ b: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } }, { format: 'pt' });
 */
export function serializeSafetensors(tensors: TensorRecords, metadata?: Record<string, string>): Uint8Array {
  checkHostEndianness();
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`serializeSafetensors: metadata '${k}' is not a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, r] of list) {
    checkRecord(name, r);
    header[name] = { dtype: r.dtype, shape: r.shape, data_offsets: [offset, offset + r.data.byteLength] };
    offset += r.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  let cursor = 8 + padded;
  for (const [, r] of list) {
    out.set(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength), cursor);
    cursor += r.data.byteLength;
  }
  return out;
}

/**
 * Writes `bytes` to `file` atomically: a temporary file in the same folder, fsync, rename, then an
 * fsync of the folder. A crash leaves either the old file or the new one, never half of one.
 * @example
 * await writeFileAtomic('model.safetensors', bytes);
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fsp.open(temp, 'wx', 0o644);
  try {
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, done);
        done += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}

/**
 * Writes tensors to a safetensors file atomically (see {@link writeFileAtomic}).
 * @example
 * await writeSafetensors('head.safetensors', { 'fc.weight': { dtype: 'F32', shape: [5, 64], data } });
 */
export async function writeSafetensors(
  file: string, tensors: TensorRecords, metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

/**
 * A record's elements as float32 (converting F16, BF16, F64 and integer types; F32 is returned as is).
 * @example
 * recordToFloat32({ dtype: 'BF16', shape: [1], data: Uint16Array.of(0x3f80) }); // Float32Array [1]
 */
export function recordToFloat32(record: TensorRecord): Float32Array {
  return toFloat32(record.dtype, record.data);
}
