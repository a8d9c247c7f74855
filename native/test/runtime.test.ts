import { describe, expect, it } from 'vitest';
import { allocBuffer, capabilities, freeBuffer, getNumThreads, memoryStats, setNumThreads } from '@graft/native';

describe('runtime', () => {
  it('reports capabilities', () => {
    const caps = capabilities();
    expect(['avx2+fma', 'generic']).toContain(caps.detectedIsa);
    expect(caps.threads).toBeGreaterThanOrEqual(1);
    expect(typeof caps.cudaCompiled).toBe('boolean');
    if (caps.cudaDevices.length === 0) expect(caps.cudaUnavailableReason).not.toBe('');
  });

  it('frees native buffers at once and detaches them', () => {
    const before = memoryStats();
    const buffer = allocBuffer(1 << 20);
    const view = new Float32Array(buffer);
    view[5] = 2;
    expect(memoryStats().liveBytes - before.liveBytes).toBe(1 << 20);
    freeBuffer(buffer);
    expect(memoryStats().liveBytes).toBe(before.liveBytes);
    expect(view.length).toBe(0);
    expect(buffer.byteLength).toBe(0);
    freeBuffer(buffer); // a second free is harmless
  });

  it('keeps live memory flat over many alloc/free pairs', () => {
    const before = memoryStats().liveBytes;
    for (let i = 0; i < 20_000; i++) freeBuffer(allocBuffer(4096));
    expect(memoryStats().liveBytes).toBe(before);
  });

  it('rejects buffers it did not make and bad thread counts', () => {
    expect(() => freeBuffer(new ArrayBuffer(8))).toThrow(/free: argument 'buffer' was not made by alloc/);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: argument 'threads' must be >= 1/);
    const threads = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(threads);
  });
});
