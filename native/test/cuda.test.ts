// The CUDA backend against the CPU reference. Kernel suites need a GPU (`capabilities().cudaDevices`
// non-empty) and are skipped, with the reason, where there is none; the error suites run everywhere
// and check that a build without CUDA, or a machine without a GPU, gives a clear Error and no crash.
import { describe, expect, it } from 'vitest';
import {
  capabilities, cudaAlloc, cudaDownload, cudaEmptyCache, cudaFromArray, cudaMemoryStats, cudaSynchronize,
  cudaToArray, cudaUpload, type DeviceBuffer,
} from '@graft/native';
import { randomArray, seededRandom } from './helpers.js';

const caps = capabilities();
const hasCuda = caps.cudaDevices.length > 0;
const skipReason = hasCuda ? '' : `no CUDA device (${caps.cudaUnavailableReason})`;
// The stub build and a CUDA build on a machine without a GPU say so in these words.
const unavailable = /^(\w+): (Graft was built without CUDA|no CUDA device: .+)/;

describe.skipIf(hasCuda)('cuda without a device: every entry point throws a clear Error', () => {
  it('reports why there is no device', () => {
    expect(caps.cudaUnavailableReason).not.toBe('');
    if (!caps.cudaCompiled) expect(caps.cudaUnavailableReason).toMatch(/built without CUDA/);
  });
  it.each([
    ['cudaAlloc', () => cudaAlloc(16)],
    ['cudaMemoryStats', () => cudaMemoryStats()],
    ['cudaEmptyCache', () => cudaEmptyCache()],
    ['cudaSynchronize', () => cudaSynchronize()],
    ['cudaAlloc', () => cudaFromArray(new Float32Array(4))],
  ] as Array<[string, () => unknown]>)('%s', (op, call) => {
    expect(call).toThrow(unavailable);
    expect(call).toThrow(new RegExp(`^${op}: `));
  });
});

describe('cuda argument checks (any build)', () => {
  it('rejects objects that are not device buffers before touching a device', () => {
    const fake = { bytes: 16, device: 0, disposed: false, dispose: () => undefined } as DeviceBuffer;
    expect(() => cudaUpload(fake, new Float32Array(4)))
      .toThrow(/cudaUpload: argument 'buffer' must be a CUDA device buffer made by cudaAlloc\(\)/);
    expect(() => cudaDownload(fake, new Float32Array(4))).toThrow(/cudaDownload: argument 'buffer' must be/);
  });
  it('rejects bad sizes and device indices', () => {
    expect(() => cudaAlloc(-1)).toThrow(/cudaAlloc: argument 'bytes' must be >= 0, got -1/);
    expect(() => cudaAlloc(1.5)).toThrow(/cudaAlloc: argument 'bytes' must be an integer/);
    expect(() => cudaAlloc(16, -1)).toThrow(/cudaAlloc: argument 'device' must be >= 0/);
  });
});

describe.skipIf(!hasCuda)(`cuda device memory${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('round-trips data, including odd and empty sizes', () => {
    const rand = seededRandom(1);
    for (const n of [0, 1, 7, 129, 100_003]) {
      const data = randomArray(n, rand);
      const buffer = cudaFromArray(data);
      expect(Array.from(cudaToArray(buffer))).toEqual(Array.from(data));
      buffer.dispose();
    }
  });
  it('reuses freed blocks from the cache and keeps live bytes flat', () => {
    cudaSynchronize();
    const before = cudaMemoryStats();
    for (let i = 0; i < 200; i++) cudaAlloc(4 * 1000 + (i % 3)).dispose();
    const after = cudaMemoryStats();
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.deviceAllocations - before.deviceAllocations).toBeLessThanOrEqual(1); // one size class
    expect(after.cacheHits - before.cacheHits).toBeGreaterThanOrEqual(199);
    cudaEmptyCache();
    expect(cudaMemoryStats().cachedBytes).toBe(0);
  });
  it('refuses disposed buffers and copies larger than the buffer', () => {
    const buffer = cudaAlloc(8);
    expect(() => cudaUpload(buffer, new Float32Array(3)))
      .toThrow(/cudaUpload: argument 'data' has 3 elements but 'buffer' holds only 2 floats/);
    buffer.dispose();
    buffer.dispose(); // twice is harmless
    expect(buffer.disposed).toBe(true);
    expect(() => cudaDownload(buffer, new Float32Array(1)))
      .toThrow(/cudaDownload: argument 'buffer' is a disposed CUDA device buffer/);
  });
  it('names a device index that does not exist', () => {
    expect(() => cudaAlloc(16, caps.cudaDevices.length)).toThrow(/cudaAlloc: argument 'device' is \d+ but there/);
  });
});
