/**
 * An emulated CUDA device for tests on machines without a GPU. It checks the device plumbing of the
 * code above the kernels (models and batches moved to the model's device, tensors made on the right
 * device, host reads through `dataSync`/`item` only), not the CUDA kernels themselves: those are
 * checked against the CPU by cuda.test.ts where a GPU exists.
 *
 * How: `@graft/native` is mocked (emulated-native.ts) so that the addon reports one CUDA device, "device" buffers are host
 * buffers that only the CUDA entry points can reach, and the fused optimizer steps run the CPU
 * kernels on them. `useEmulatedCuda()` then registers a backend for 'cuda' that runs each call on
 * the CPU backend through CPU tensors aliasing the device buffers. Everything else is the real code:
 * a 'cuda:0' tensor's `storage.data` throws as on a GPU, a call mixing devices throws "tensors are on
 * different devices", and moving data goes through the same transfer functions. Since the kernels
 * are the CPU ones, a run on 'cuda:0' must give the CPU run's numbers bit for bit.
 *
 * @example
 * vi.mock('@graft/native', async (importOriginal) =>
 *   (await import('../../core/test/emulated-native.js')).emulatedNative(await importOriginal()));
 * import { useEmulatedCuda } from '../../core/test/emulated-cuda.js';
 * useEmulatedCuda();
 */
import { Storage, Tensor, backendFor, registerBackend, toDType, type Backend } from '@graft/core';
import type { EmulatedBuffer } from './emulated-native.js';

// Storage's constructor is private to @graft/core; the emulation needs CPU storage over a device
// buffer's host block, which nothing else may make.
type StorageConstructor = new (device: 'cpu', dtype: string, length: number, buffer: ArrayBuffer, onDevice: null) => Storage;

/** A CPU tensor viewing the same elements as `t` (a CPU tensor is returned as it is). */
function hostView(t: Tensor, views: Map<Storage, Storage>): Tensor {
  if (t.device === 'cpu') return t;
  let storage = views.get(t.storage);
  if (storage === undefined) {
    const host = (t.storage.deviceBuffer as EmulatedBuffer).host;
    storage = new (Storage as unknown as StorageConstructor)('cpu', t.dtype, t.storage.length, host, null);
    views.set(t.storage, storage);
  }
  // One hold per view and none given back, so disposing a view (a tidy scope may) never frees the
  // device buffer's block.
  storage.retain();
  return new Tensor(storage, t.shape, t.strides, t.offset);
}

function isTensorArg(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

/** An argument with each emulated-device tensor in it (top level or a field) replaced by its host view. */
function onHost(arg: unknown, views: Map<Storage, Storage>): unknown {
  if (isTensorArg(arg)) return hostView(arg, views);
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return arg;
  return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, isTensorArg(v) ? hostView(v, views) : v]));
}

/**
 * Registers the emulated device's backend: every kernel call on 'cuda:0' runs the CPU backend's
 * kernel on host views of the device buffers. Call once per test file, after mocking `@graft/native`.
 */
export function useEmulatedCuda(): void {
  const cpu = backendFor('cpu');
  const emulated: Record<string, unknown> = { device: 'cuda:0' };
  for (const [name, method] of Object.entries(cpu)) {
    if (typeof method !== 'function') continue;
    emulated[name] = (...args: unknown[]): void => {
      const views = new Map<Storage, Storage>();
      (method as (...a: unknown[]) => void)(...args.map((a) => onHost(a, views)));
    };
  }
  // The CUDA cast kernel converts every dtype pair; the CPU one only those that need speed (toDType
  // converts the others element by element on the host), so those go through toDType here.
  emulated['cast'] = (src: Tensor, dst: Tensor, scale: number): void => {
    const views = new Map<Storage, Storage>();
    const [from, to] = [hostView(src, views), hostView(dst, views)];
    const cpuKernel = (to.dtype === 'float32' && ['int32', 'uint8', 'bool'].includes(from.dtype)) || (to.dtype === 'int32' && from.dtype === 'float32');
    if (cpuKernel) return cpu.cast(from, to, scale);
    const converted = toDType(from, to.dtype);
    cpu.copy(converted, to);
    converted.dispose();
  };
  registerBackend(emulated as unknown as Backend);
}
