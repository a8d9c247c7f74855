/**
 * Runtime: native host buffers, memory statistics, threads, instruction set and capabilities.
 */
import { kernel } from './addon.js';

/** Native host memory counters (bytes and buffers made by {@link allocBuffer}). */
export interface MemoryStats {
  /** Bytes held by live native buffers now. */
  liveBytes: number;
  /** Most bytes held at once since load or the last {@link resetPeakMemory}. */
  peakBytes: number;
  /** Native buffers alive now. */
  liveBuffers: number;
  /** Buffers ever allocated. */
  totalAllocations: number;
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
  return kernel<(bytes: number) => ArrayBuffer>('alloc')(bytes);
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
  return kernel<() => MemoryStats>('memoryStats')();
}

/**
 * Sets the peak to the bytes live now.
 * @example
 * resetPeakMemory();
 */
export function resetPeakMemory(): void {
  kernel<() => void>('resetPeakMemory')();
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
