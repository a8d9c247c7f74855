/**
 * The emulated CUDA device's runtime (its kernels are in emulated-kernels.ts): the addon reports one
 * CUDA device, "device" buffers are host blocks that only the CUDA entry points reach, and the fused
 * optimizer steps run the CPU kernels on them. This file imports nothing from `@graft/native` or
 * `@graft/core` at run time, because a `vi.mock` factory that loads it runs while they are loading.
 */
import type * as Native from '@graft/native';

type NativeModule = typeof Native;

/** What an emulated device buffer holds: a host block no CPU kernel is given directly. */
export interface EmulatedBuffer extends Native.DeviceBuffer {
  readonly host: ArrayBuffer;
}

const EMULATED_DEVICE: Native.CudaDevice = {
  index: 0, name: 'Emulated CUDA device (host memory)', computeCapability: '9.0', totalMemoryBytes: 1 << 30, multiprocessors: 1,
};

const stats = { liveBytes: 0, peakBytes: 0, cachedBytes: 0, liveBlocks: 0, deviceAllocations: 0, cacheHits: 0 };

function isSlice(ref: Native.DeviceRef): ref is Native.DeviceSlice {
  return 'buffer' in ref;
}

/** The host bytes behind a device buffer or slice. */
function bytesOf(ref: Native.DeviceRef): Uint8Array {
  const buffer = (isSlice(ref) ? ref.buffer : ref) as EmulatedBuffer;
  if (buffer.disposed) throw new Error('emulated CUDA: the device buffer was disposed');
  return isSlice(ref) ? new Uint8Array(buffer.host, ref.byteOffset, ref.byteLength) : new Uint8Array(buffer.host, 0, buffer.bytes);
}

function floatsOf(ref: Native.DeviceRef): Float32Array;
function floatsOf(ref: Native.DeviceRef | undefined): Float32Array | undefined;
function floatsOf(ref: Native.DeviceRef | undefined): Float32Array | undefined {
  if (ref === undefined) return undefined;
  const bytes = bytesOf(ref);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function asBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The `@graft/native` module with one emulated CUDA device: give it the real module in a `vi.mock`
 * factory (see the file comment).
 */
export function emulatedNative(real: NativeModule): NativeModule {
  const alloc = (bytes: number, device = 0): Native.DeviceBuffer => {
    if (device !== 0) throw new Error(`cudaAlloc: device ${device} does not exist (1 emulated device)`);
    const host = real.takeBuffer(Math.max(bytes, 1));
    let disposed = false;
    stats.liveBytes += bytes; stats.liveBlocks++; stats.deviceAllocations++;
    stats.peakBytes = Math.max(stats.peakBytes, stats.liveBytes);
    const buffer: EmulatedBuffer = {
      bytes, device, host,
      get disposed() { return disposed; },
      dispose() {
        if (disposed) return;
        disposed = true;
        stats.liveBytes -= bytes; stats.liveBlocks--;
        real.recycleBuffer(host);
      },
    };
    return buffer;
  };
  return {
    ...real,
    capabilities: () => ({ ...real.capabilities(), cudaCompiled: true, cudaRuntimeVersion: 'emulated', cudaDevices: [EMULATED_DEVICE], cudaUnavailableReason: '' }),
    cudaAvailable: () => true,
    cudaAlloc: alloc,
    cudaMemoryStats: () => ({ ...stats }),
    cudaUpload: (buffer, data) => { bytesOf(buffer).set(asBytes(data)); },
    cudaDownload: (buffer, out) => { asBytes(out).set(bytesOf(buffer).subarray(0, out.byteLength)); },
    cudaWriteBytes: (dst, data) => { bytesOf(dst).set(asBytes(data)); },
    cudaReadBytes: (src, out) => { asBytes(out).set(bytesOf(src).subarray(0, out.byteLength)); },
    cudaSgdStep: (a) => real.sgdStep({ ...a, param: floatsOf(a.param), grad: floatsOf(a.grad), momentumBuffer: floatsOf(a.momentumBuffer) }),
    cudaAdamStep: (a) => real.adamStep({
      ...a, param: floatsOf(a.param), grad: floatsOf(a.grad), expAvg: floatsOf(a.expAvg), expAvgSq: floatsOf(a.expAvgSq), maxExpAvgSq: floatsOf(a.maxExpAvgSq),
    }),
    cudaClipGradNorm: (grads, maxNorm, normType) => real.clipGradNorm(grads.map((g) => floatsOf(g)), maxNorm, normType),
  } as NativeModule;
}

