/**
 * Runtime: native host buffers, memory statistics, threads, instruction set and capabilities.
 */
import { kernel } from './addon.js';
import { bufferCacheCounters, noteAllocation, resetBufferCachePeak } from './buffer_cache.js';

/**
 * Host memory counters: buffers made by {@link allocBuffer} or takeBuffer, in use (held by tensors
 * or callers) and cached for reuse (see buffer_cache.ts).
 */
export interface MemoryStats {
  /** Bytes of host buffers in use now (cached buffers not counted). */
  liveBytes: number;
  /** Most bytes in use at once since load or the last {@link resetPeakMemory}. */
  peakBytes: number;
  /** Host buffers in use now. */
  liveBuffers: number;
  /** Buffers handed out, new or reused from the cache. */
  totalAllocations: number;
  /** Bytes of freed buffers kept for reuse (emptyBufferCache frees them). */
  cachedBytes: number;
}

/** What this build and machine can do. */
export interface Capabilities {
  /** Instruction set the CPU supports (`avx2+fma` or `generic`). */
  detectedIsa: string;
  /** Instruction set the kernels use now. */
  isa: string;
  /** Whether the CPU (and OS) support AVX-512 F/BW/DQ/VL. */
  detectedAvx512: boolean;
  /** Whether kernels that have an AVX-512 path use it now (`setIsa('avx2')` turns it off). */
  avx512: boolean;
  /** Threads in the CPU pool. */
  threads: number;
  /** Whether the CUDA backend was compiled in. */
  cudaCompiled: boolean;
  /** CUDA runtime version, or '' when not compiled. */
  cudaRuntimeVersion: string;
  /** CUDA devices found. */
  cudaDevices: CudaDevice[];
  /** Why there are no CUDA devices ('' when there are). */
  cudaUnavailableReason: string;
  /** The C++ compiler that built the addon. */
  compiler?: string;
}

/** One CUDA device. */
export interface CudaDevice {
  index: number;
  name: string;
  computeCapability: string;
  totalMemoryBytes: number;
  multiprocessors: number;
}

/**
 * Allocates a 64-byte aligned native buffer. Free it with {@link freeBuffer}; a buffer never freed
 * is released when garbage collected.
 * @example
 * const buf = allocBuffer(4 * 1024); const xs = new Float32Array(buf); freeBuffer(buf);
 */
export function allocBuffer(bytes: number): ArrayBuffer {
  const buffer = kernel<(bytes: number) => ArrayBuffer>('alloc')(bytes);
  noteAllocation();
  return buffer;
}

/**
 * Releases a buffer made by {@link allocBuffer} now and detaches it (its views become empty).
 * Freeing twice is harmless.
 * @example
 * freeBuffer(allocBuffer(16));
 */
export function freeBuffer(buffer: ArrayBuffer): void {
  kernel<(buffer: ArrayBuffer) => void>('free')(buffer);
}

/**
 * Native memory counters.
 * @example
 * const { liveBytes } = memoryStats();
 */
export function memoryStats(): MemoryStats {
  const native = kernel<() => Omit<MemoryStats, 'cachedBytes'>>('memoryStats')();
  const c = bufferCacheCounters();
  const liveBytes = native.liveBytes - c.cachedBytes;
  return {
    liveBytes, peakBytes: Math.max(c.peak, liveBytes), liveBuffers: native.liveBuffers - c.cachedBuffers,
    totalAllocations: native.totalAllocations + c.hits, cachedBytes: c.cachedBytes,
  };
}

/**
 * Sets the peak to the bytes in use now.
 * @example
 * resetPeakMemory();
 */
export function resetPeakMemory(): void {
  kernel<() => void>('resetPeakMemory')();
  resetBufferCachePeak();
}

/**
 * Threads in the CPU pool (the cores, or `GRAFT_NUM_THREADS`).
 * @example
 * getNumThreads(); // 2
 */
export function getNumThreads(): number {
  return kernel<() => number>('getNumThreads')();
}

/**
 * Resizes the CPU pool.
 * @example
 * setNumThreads(1);
 */
export function setNumThreads(threads: number): void {
  kernel<(threads: number) => void>('setNumThreads')(threads);
}

/** Instruction-set choices for {@link setIsa}. */
export type IsaChoice = 'generic' | 'avx2' | 'avx512' | 'auto';

/**
 * Forces the portable path (`generic`), the AVX2 path without AVX-512 (`avx2`), the AVX-512 paths
 * where the CPU has them (`avx512`, which is what `auto` picks on such a CPU), or back to `auto`.
 * Returns the base instruction set now in use (`capabilities().avx512` tells whether AVX-512 is on).
 * @example
 * setIsa('generic'); // test the portable kernels on an AVX2 machine
 */
export function setIsa(isa: IsaChoice): string {
  return kernel<(isa: string) => string>('setIsa')(isa);
}

/**
 * What this build and machine can do.
 * @example
 * console.log(capabilities().isa); // 'avx2+fma'
 */
export function capabilities(): Capabilities {
  return kernel<() => Capabilities>('capabilities')();
}
