// Shared test helpers: temporary folders, IDX and .npy writers, and seeded synthetic datasets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { Rng, TensorDataset } from '@graft/data';

/** A temporary folder removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `graft-data-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** IDX bytes: header `00 00 <type> <ndim>`, big-endian dims, then uint8 data. */
export function idxBytes(shape: number[], data: Uint8Array, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** .npy bytes as numpy writes them (header padded with spaces to a multiple of 64, ending in \n). */
export function npyBytes(descr: string, shape: number[], data: ArrayBufferView, version = 1, fortran = false): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const lenBytes = version === 1 ? 2 : 4;
  const pad = 64 - ((10 + (lenBytes - 2) + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(8 + lenBytes);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(pre);
  if (version === 1) pre.writeUInt16LE(header.length, 8);
  else pre.writeUInt32LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** n random uint8 images [c, h, w] with labels cycling through `classes` classes. */
export function randomImages(n: number, shape: [number, number, number], classes: number, seed: number): TensorDataset {
  const rng = new Rng(seed);
  const size = shape[0] * shape[1] * shape[2];
  const images = Uint8Array.from({ length: n * size }, () => rng.int(256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  return new TensorDataset(images, [n, ...shape], labels);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
