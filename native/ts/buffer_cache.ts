/**
 * A cache of freed host buffers, reused for allocations of the same size.
 *
 * Why: every host buffer is an ArrayBuffer over native memory, and V8 counts each new one as external
 * memory; a training step that makes and frees a few hundred activation buffers (hundreds of MB) makes
 * V8 run a full mark-compact every few tens of milliseconds to account for them. Measured on ResNet-20
 * at batch 128 (2 threads): 34 mark-compacts per benchmark run and 13.8 ms of each 260 ms step inside
 * `alloc`, against 4 and 1.8 ms with this cache. Buffers of one step come back at the next one with the
 * same sizes, so exact-size reuse hits almost always.
 *
 * What it keeps: buffers of at least {@link BUFFER_CACHE_MIN_BYTES}, up to a total of
 * `GRAFT_BUFFER_CACHE_MB` MiB (default 256; 0 turns the cache off); to make room it frees the buffers
 * of the sizes used least recently. {@link emptyBufferCache} frees everything cached. {@link memoryStats} counts cached
 * buffers apart (`cachedBytes`), so `liveBytes` is what tensors hold.
 *
 * The price: a cached buffer is not detached when its holder frees it, so a typed-array view kept
 * past that point may see the next holder's data (as with any caching allocator). Code that frees a
 * buffer must drop its views; `GRAFT_BUFFER_CACHE_MB=0` makes every free detach, to find such code.
 */
import { kernel } from './addon.js';

/** Buffers smaller than this are freed at once: the allocator is fast for them and V8 barely notices. */
export const BUFFER_CACHE_MIN_BYTES = 64 * 1024;

interface NativeStats {
  liveBytes: number;
  peakBytes: number;
  liveBuffers: number;
  totalAllocations: number;
}

const nativeAlloc = (bytes: number): ArrayBuffer => kernel<(bytes: number) => ArrayBuffer>('alloc')(bytes);
const nativeFree = (buffer: ArrayBuffer): void => kernel<(buffer: ArrayBuffer) => void>('free')(buffer);
const nativeStats = (): NativeStats => kernel<() => NativeStats>('memoryStats')();

function limitFromEnvironment(): number {
  const text = typeof process === 'undefined' ? undefined : process.env['GRAFT_BUFFER_CACHE_MB'];
  if (text === undefined || text === '') return 256 * 2 ** 20;
  const mb = Number(text);
  if (!(Number.isFinite(mb) && mb >= 0)) throw new Error(`GRAFT_BUFFER_CACHE_MB must be a number of MiB >= 0, got '${text}'`);
  return Math.floor(mb * 2 ** 20);
}

/** Free buffers by byte length, and the counters {@link memoryStats} reports. */
class BufferCache {
  readonly free = new Map<number, ArrayBuffer[]>();
  limit = limitFromEnvironment();
  cachedBytes = 0;
  cachedBuffers = 0;
  hits = 0;
  /** Bytes held outside the cache, and their peak, tracked here so the cache never counts as use. */
  peak = 0;

  take(bytes: number): ArrayBuffer {
    const list = this.free.get(bytes);
    const reused = list?.pop();
    let buffer: ArrayBuffer;
    if (reused !== undefined) {
      this.cachedBytes -= bytes;
      this.cachedBuffers--;
      this.hits++;
      this.touch(bytes, list as ArrayBuffer[]);
      buffer = reused;
    } else {
      buffer = nativeAlloc(bytes);
    }
    this.notePeak();
    return buffer;
  }

  give(buffer: ArrayBuffer): void {
    const bytes = buffer.byteLength;
    if (bytes < BUFFER_CACHE_MIN_BYTES || bytes > this.limit) {
      nativeFree(buffer);
      return;
    }
    // Least recently used sizes go first: a phase with other shapes (evaluation, another batch
    // size) replaces the previous phase's buffers instead of finding the cache full of them.
    for (const [size, list] of this.free) {
      if (this.cachedBytes + bytes <= this.limit) break;
      while (list.length > 0 && this.cachedBytes + bytes > this.limit) {
        nativeFree(list.pop() as ArrayBuffer);
        this.cachedBytes -= size;
        this.cachedBuffers--;
      }
      if (list.length === 0) this.free.delete(size);
    }
    const list = this.free.get(bytes) ?? [];
    list.push(buffer);
    this.touch(bytes, list);
    this.cachedBytes += bytes;
    this.cachedBuffers++;
  }

  /** Marks a size as just used: Map order is insertion order, so it moves to the end. */
  private touch(bytes: number, list: ArrayBuffer[]): void {
    this.free.delete(bytes);
    this.free.set(bytes, list);
  }

  empty(): void {
    for (const list of this.free.values()) for (const buffer of list) nativeFree(buffer);
    this.free.clear();
    this.cachedBytes = 0;
    this.cachedBuffers = 0;
  }

  notePeak(): void {
    const inUse = nativeStats().liveBytes - this.cachedBytes;
    if (inUse > this.peak) this.peak = inUse;
  }
}

const cache = new BufferCache();

/**
 * A host buffer of `bytes` bytes for a tensor: a cached one of that size when there is one, else a new
 * one (see the file comment). Give it back with {@link recycleBuffer}.
 * @example
 * const buf = takeBuffer(1 << 20); new Float32Array(buf).fill(1); recycleBuffer(buf);
 */
export function takeBuffer(bytes: number): ArrayBuffer {
  return cache.take(bytes);
}

/**
 * Gives back a buffer from {@link takeBuffer} (or allocBuffer): kept for reuse when it fits the cache,
 * freed and detached otherwise. Views of it must not be used afterwards.
 * @example
 * recycleBuffer(takeBuffer(1 << 20));
 */
export function recycleBuffer(buffer: ArrayBuffer): void {
  if (buffer.byteLength === 0) return; // detached: already freed
  cache.give(buffer);
}

/**
 * Frees every cached buffer now (their memory goes back to the allocator).
 * @example
 * emptyBufferCache(); memoryStats().cachedBytes; // 0
 */
export function emptyBufferCache(): void {
  cache.empty();
}

/**
 * Sets the most bytes the cache may hold (0 turns it off and frees what it holds); returns the old limit.
 * @example
 * const old = setBufferCacheLimit(0); // every free detaches from now on
 */
export function setBufferCacheLimit(bytes: number): number {
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new Error(`setBufferCacheLimit: bytes must be a number >= 0, got ${bytes}`);
  const old = cache.limit;
  cache.limit = Math.floor(bytes);
  if (cache.cachedBytes > cache.limit) cache.empty();
  return old;
}

/** The cache's counters, for {@link memoryStats}. */
export function bufferCacheCounters(): { cachedBytes: number; cachedBuffers: number; hits: number; peak: number } {
  return { cachedBytes: cache.cachedBytes, cachedBuffers: cache.cachedBuffers, hits: cache.hits, peak: cache.peak };
}

/** Restarts the peak of bytes in use at the current use. */
export function resetBufferCachePeak(): void {
  cache.peak = 0;
  cache.notePeak();
}

/** Notes a native allocation made outside the cache, for the peak. */
export function noteAllocation(): void {
  cache.notePeak();
}
