/**
 * Reading files whole, with gzip detected by its magic bytes, and errors that name the file.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a file, failing with an Error that names it and says why. */
export async function readWhole(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Reads a file and gunzips it when it is gzip data (whatever its name says). */
export async function readMaybeGzip(file: string, what: string): Promise<Buffer> {
  const raw = await readWhole(file, what);
  if (!isGzip(raw)) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (err) {
    throw new Error(`${what}: ${file} is corrupt or truncated gzip data (${(err as Error).message})`);
  }
}
