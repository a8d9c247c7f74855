import { describe, expect, it } from 'vitest';
import {
  BUFFER_CACHE_MIN_BYTES, allocBuffer, capabilities, emptyBufferCache, freeBuffer, getNumThreads, memoryStats, recycleBuffer, resetPeakMemory,
  setBufferCacheLimit, setNumThreads, takeBuffer,
} from '@graft/native';

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

  describe('buffer cache', () => {
    it('reuses a recycled buffer for the next request of its size, counted apart from live bytes', () => {
      emptyBufferCache();
      const before = memoryStats();
      const bytes = 3 * BUFFER_CACHE_MIN_BYTES + 64;
      const first = takeBuffer(bytes);
      new Float32Array(first)[0] = 7;
      expect(memoryStats().liveBytes - before.liveBytes).toBe(bytes);
      recycleBuffer(first);
      const afterFree = memoryStats();
      expect(afterFree.liveBytes).toBe(before.liveBytes);
      expect(afterFree.cachedBytes).toBe(bytes);
      expect(first.byteLength).toBe(bytes); // kept, not detached
      const second = takeBuffer(bytes);
      expect(second).toBe(first);
      expect(memoryStats().cachedBytes).toBe(0);
      expect(memoryStats().totalAllocations - before.totalAllocations).toBe(2); // a reuse counts as an allocation
      const other = takeBuffer(bytes + 64); // another size: a new buffer
      expect(other).not.toBe(first);
      recycleBuffer(second);
      recycleBuffer(other);
      emptyBufferCache();
      expect(memoryStats().cachedBytes).toBe(0);
      expect(first.byteLength).toBe(0); // freed and detached now
      expect(memoryStats().liveBytes).toBe(before.liveBytes);
    });

    it('frees small buffers, and everything when the limit is 0, at once', () => {
      emptyBufferCache();
      const small = takeBuffer(BUFFER_CACHE_MIN_BYTES - 4);
      recycleBuffer(small);
      expect(small.byteLength).toBe(0);
      const old = setBufferCacheLimit(0);
      try {
        const big = takeBuffer(4 * BUFFER_CACHE_MIN_BYTES);
        recycleBuffer(big);
        expect(big.byteLength).toBe(0);
        expect(memoryStats().cachedBytes).toBe(0);
      } finally {
        setBufferCacheLimit(old);
      }
      expect(() => setBufferCacheLimit(-1)).toThrow(/setBufferCacheLimit: bytes must be a number >= 0, got -1/);
    });

    it('keeps at most the limit, freeing the least recently used sizes; the peak counts buffers in use only', () => {
      emptyBufferCache();
      const old = setBufferCacheLimit(3 * BUFFER_CACHE_MIN_BYTES);
      try {
        const a = takeBuffer(BUFFER_CACHE_MIN_BYTES);
        const b = takeBuffer(BUFFER_CACHE_MIN_BYTES);
        const c = takeBuffer(2 * BUFFER_CACHE_MIN_BYTES);
        for (const buffer of [a, b, c]) recycleBuffer(buffer);
        expect(memoryStats().cachedBytes).toBe(3 * BUFFER_CACHE_MIN_BYTES);
        // The older size made room for the newer one: one of its two buffers was freed.
        expect([a.byteLength, b.byteLength].sort()).toEqual([0, BUFFER_CACHE_MIN_BYTES]);
        expect(takeBuffer(2 * BUFFER_CACHE_MIN_BYTES)).toBe(c);
        recycleBuffer(c);
        resetPeakMemory();
        const base = memoryStats().liveBytes;
        const again = takeBuffer(BUFFER_CACHE_MIN_BYTES);
        expect(memoryStats().peakBytes).toBe(base + BUFFER_CACHE_MIN_BYTES);
        recycleBuffer(again);
      } finally {
        setBufferCacheLimit(old);
        emptyBufferCache();
      }
    });
  });
});
