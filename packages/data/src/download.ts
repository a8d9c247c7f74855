/**
 * Downloads into a cache folder with a sha256 check and an atomic write: the bytes go to a temporary
 * file in the same folder, are hashed on the way, and the file is renamed into place only when the
 * digest matches, so a reader never sees a partial or wrong file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * The cache folder: `$XDG_CACHE_HOME/graft`, else `~/.cache/graft`.
 * @example
 * defaultCacheDir(); // '/home/me/.cache/graft'
 */
export function defaultCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'graft');
}

/** Options of {@link download}. */
export interface DownloadOptions {
  /** Expected sha256 of the file, hex. */
  sha256: string;
  /** Default {@link defaultCacheDir}. */
  cacheDir?: string;
  /** File name in the cache; default the last segment of the URL path. */
  fileName?: string;
  /** Abort after this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
}

/**
 * sha256 of a file, hex.
 * @example
 * await sha256File('train-images-idx3-ubyte.gz'); // '3aede38d...'
 */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Returns the path of `url`'s file in the cache, downloading it first unless a copy with the right
 * sha256 is already there. Rejects (leaving nothing behind) on an HTTP error or a checksum mismatch.
 * @example
 * const file = await download('https://example.org/train-images-idx3-ubyte.gz', { sha256: '3aede38d...' });
 */
export async function download(url: string, options: DownloadOptions): Promise<string> {
  const expected = options.sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new Error(`download: sha256 must be 64 hex digits, got '${options.sha256}'`);
  const dir = options.cacheDir ?? defaultCacheDir();
  const name = options.fileName ?? basename(new URL(url).pathname);
  if (!name || name === '/' || name.includes('/')) throw new Error(`download: cannot name a file after ${url}; pass fileName`);
  const target = join(dir, name);
  if (existsSync(target) && (await sha256File(target)) === expected) return target;
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${name}.${process.pid}.${Date.now()}.part`);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 600_000) });
    if (!response.ok || !response.body) throw new Error(`download: ${url} answered HTTP ${response.status} ${response.statusText}`);
    const hash = createHash('sha256');
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
    const actual = hash.digest('hex');
    if (actual !== expected) throw new Error(`download: ${url} has sha256 ${actual}, expected ${expected}; nothing was saved`);
    await rename(temp, target);
    return target;
  } catch (err) {
    await rm(temp, { force: true });
    if ((err as Error).message.startsWith('download:')) throw err;
    throw new Error(`download: ${url} failed: ${(err as Error).message}`);
  }
}
