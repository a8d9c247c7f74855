/**
 * CUDA backend: device buffers, copies, the caching allocator's statistics and the CUDA kernels.
 *
 * Every function here throws a clear Error when the addon was built without CUDA
 * (`"<op>: Graft was built without CUDA ..."`) or when the machine has no usable GPU
 * (`"<op>: no CUDA device: <reason>"`); check {@link cudaAvailable} first to choose a device.
 * Kernels queue work on the device's one stream and return at once; {@link cudaDownload} and
 * {@link cudaSynchronize} wait for it.
 */
import { loadAddon, kernel } from './addon.js';

/** A block of device memory made by {@link cudaAlloc}. Opaque: read it back with {@link cudaDownload}. */
export interface DeviceBuffer {
  /** Bytes requested (the allocator may hold a larger size class). */
  readonly bytes: number;
  /** The CUDA device index it lives on. */
  readonly device: number;
  /** True once {@link DeviceBuffer.dispose} ran. */
  readonly disposed: boolean;
  /** Gives the memory back to the allocator's cache now; disposing twice is harmless. */
  dispose(): void;
}

/** The caching device allocator's counters (all devices together). */
export interface CudaMemoryStats {
  /** Bytes handed out now, rounded up to size classes. */
  liveBytes: number;
  /** Most live bytes at once since load. */
  peakBytes: number;
  /** Bytes freed and kept for reuse; {@link cudaEmptyCache} returns them to the driver. */
  cachedBytes: number;
  /** Buffers alive now. */
  liveBlocks: number;
  /** cudaMalloc calls so far (cache misses). */
  deviceAllocations: number;
  /** Allocations served from the cache. */
  cacheHits: number;
}

type DeviceBufferConstructor = new (bytes: number, device: number) => DeviceBuffer;

/**
 * Whether CUDA kernels can run here: the backend is compiled in and a GPU is present.
 * @example
 * const device = cudaAvailable() ? 'cuda' : 'cpu';
 */
export function cudaAvailable(): boolean {
  const caps = kernel<() => { cudaDevices: unknown[] }>('capabilities')();
  return caps.cudaDevices.length > 0;
}

/**
 * Allocates `bytes` of device memory on `device` (default 0), from the allocator's cache when it can.
 * @throws Error "cudaAlloc: no CUDA device: ..." or "cudaAlloc: Graft was built without CUDA ...".
 * @example
 * const x = cudaAlloc(4 * 1024); // room for 1024 floats
 * x.dispose();
 */
export function cudaAlloc(bytes: number, device = 0): DeviceBuffer {
  const Ctor = loadAddon()['CudaDeviceBuffer'] as unknown as DeviceBufferConstructor | undefined;
  if (typeof Ctor !== 'function') throw new Error('cudaAlloc: the addon has no CudaDeviceBuffer class');
  return new Ctor(bytes, device);
}

/**
 * Copies `data` into the start of `buffer`; returns when `data` may be changed again.
 * @example
 * const x = cudaAlloc(12); cudaUpload(x, Float32Array.from([1, 2, 3]));
 */
export function cudaUpload(buffer: DeviceBuffer, data: Float32Array): void {
  kernel<(buffer: DeviceBuffer, data: Float32Array) => void>('cudaUpload')(buffer, data);
}

/**
 * Copies the first `out.length` floats of `buffer` into `out`, after all queued work on its device.
 * @example
 * const out = new Float32Array(3); cudaDownload(x, out);
 */
export function cudaDownload(buffer: DeviceBuffer, out: Float32Array): void {
  kernel<(buffer: DeviceBuffer, out: Float32Array) => void>('cudaDownload')(buffer, out);
}

/**
 * Allocates a buffer holding a copy of `data`.
 * @example
 * const x = cudaFromArray(Float32Array.from([1, 2, 3]));
 */
export function cudaFromArray(data: Float32Array, device = 0): DeviceBuffer {
  const buffer = cudaAlloc(data.length * 4, device);
  try {
    cudaUpload(buffer, data);
  } catch (error) {
    buffer.dispose();
    throw error;
  }
  return buffer;
}

/**
 * Reads a whole buffer back as a new Float32Array.
 * @example
 * const values = cudaToArray(x);
 */
export function cudaToArray(buffer: DeviceBuffer): Float32Array {
  const out = new Float32Array(Math.floor(buffer.bytes / 4));
  cudaDownload(buffer, out);
  return out;
}

/**
 * The caching allocator's counters.
 * @example
 * const { liveBytes, cachedBytes } = cudaMemoryStats();
 */
export function cudaMemoryStats(): CudaMemoryStats {
  return kernel<() => CudaMemoryStats>('cudaMemoryStats')();
}

/**
 * Returns every cached (freed) block to the driver. Live buffers are untouched.
 * @example
 * cudaEmptyCache();
 */
export function cudaEmptyCache(): void {
  kernel<() => void>('cudaEmptyCache')();
}

/**
 * Waits for all queued work on `device` (every device when omitted) and reports a kernel's
 * asynchronous failure as an Error.
 * @example
 * cudaSynchronize();
 */
export function cudaSynchronize(device?: number): void {
  kernel<(device?: number) => void>('cudaSynchronize')(device);
}
