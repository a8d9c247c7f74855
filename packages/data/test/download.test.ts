import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir, download } from '@graft/data';
import { tempDir } from './helpers.js';

const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251));
const digest = createHash('sha256').update(payload).digest('hex');
let server: Server;
let base = '';
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/data.bin' || req.url === '/other.bin') res.end(payload);
    else if (req.url === '/broken') {
      res.statusCode = 500;
      res.end('boom');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('download', () => {
  const cacheDir = tempDir('cache');

  it('downloads, verifies and then serves the cached copy without a request', async () => {
    const file = await download(`${base}/data.bin`, { sha256: digest, cacheDir });
    expect(file).toBe(join(cacheDir, 'data.bin'));
    expect(readFileSync(file).equals(payload)).toBe(true);
    const before = hits;
    expect(await download(`${base}/data.bin`, { sha256: digest.toUpperCase(), cacheDir })).toBe(file);
    expect(hits).toBe(before);
  });

  it('leaves nothing behind on a checksum mismatch or a server error', async () => {
    const dir = join(cacheDir, 'strict');
    await expect(download(`${base}/other.bin`, { sha256: '0'.repeat(64), cacheDir: dir })).rejects.toThrow(
      new RegExp(`other\\.bin has sha256 ${digest}, expected 0{64}; nothing was saved`),
    );
    await expect(download(`${base}/broken`, { sha256: digest, cacheDir: dir, fileName: 'b.bin' })).rejects.toThrow(/broken answered HTTP 500/);
    await expect(download(`${base}/nope.bin`, { sha256: digest, cacheDir: dir })).rejects.toThrow(/HTTP 404/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replaces a cached file whose checksum is wrong, and rejects a malformed sha256', async () => {
    const dir = join(cacheDir, 'stale');
    const first = await download(`${base}/data.bin`, { sha256: digest, cacheDir: dir });
    writeFileSync(first, 'corrupted');
    await download(`${base}/data.bin`, { sha256: digest, cacheDir: dir });
    expect(readFileSync(first).equals(payload)).toBe(true);
    await expect(download(`${base}/data.bin`, { sha256: 'abc', cacheDir: dir })).rejects.toThrow(/sha256 must be 64 hex digits/);
    expect(existsSync(join(dir, 'data.bin'))).toBe(true);
  });

  it('puts the cache under XDG_CACHE_HOME when set', () => {
    const saved = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = '/tmp/xdg-test';
    try {
      expect(defaultCacheDir()).toBe('/tmp/xdg-test/graft');
    } finally {
      if (saved === undefined) delete process.env['XDG_CACHE_HOME'];
      else process.env['XDG_CACHE_HOME'] = saved;
    }
  });
});
