/**
 * Storage: one block of device memory shared by a tensor and all of its views, reference counted
 * and freed deterministically when the last holder lets go.
 *
 * CPU storage comes from the native allocator through its buffer cache (`takeBuffer`, 64-byte
 * aligned, counted in `memoryStats()`), so a kernel reads it without a copy; released storage goes
 * back to the cache (`recycleBuffer`) and backs the next tensor of the same size. CUDA storage is a device buffer of the
 * caching allocator (`cudaAlloc`, counted in `cudaMemoryStats()`); releasing the last holder gives
 * it back to the cache at once. Ops reach device code only through `backendFor(device)`.
 */
import { capabilities, cudaAlloc, recycleBuffer, takeBuffer, type DeviceBuffer } from '@graft/native';
import { arrayFor, itemSize, type DType, type DTypeArrays, type TypedArray } from './dtype.js';

/** Where a tensor's memory lives: the CPU, or CUDA device N (`'cuda'` means `'cuda:0'`). */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

let cudaDeviceCount: number | undefined;
let cudaReason = '';

function probeCuda(): number {
  if (cudaDeviceCount === undefined) {
    const caps = capabilities();
    cudaDeviceCount = caps.cudaDevices.length;
    cudaReason = caps.cudaCompiled ? `no CUDA device: ${caps.cudaUnavailableReason}` : caps.cudaUnavailableReason;
  }
  return cudaDeviceCount;
}

/**
 * Checks a device name and returns its canonical form: 'cpu' or 'cuda:N' ('cuda' is 'cuda:0').
 * A CUDA device must exist: otherwise the error says why ("Graft was built without CUDA ..." or
 * "no CUDA device: ...").
 * @example
 * parseDevice('cpu'); // 'cpu'
 * parseDevice(hasCuda ? 'cuda' : 'cpu'); // 'cuda:0' on a GPU machine
 */
export function parseDevice(device: string | undefined, op = 'tensor'): Device {
  if (device === undefined || device === 'cpu') return 'cpu';
  const match = /^cuda(?::(\d+))?$/.exec(device);
  if (match === null) throw new Error(`${op}: unknown device '${device}' (expected 'cpu', 'cuda' or 'cuda:N')`);
  const index = Number(match[1] ?? 0);
  const count = probeCuda();
  if (count === 0) throw new Error(`${op}: cannot use device '${device}': ${cudaReason}`);
  if (index >= count) throw new Error(`${op}: device '${device}' does not exist (${count} CUDA device${count === 1 ? '' : 's'} found)`);
  return `cuda:${index}`;
}

/**
 * Whether tensors can live on CUDA device `index` here (the addon has CUDA and the GPU exists).
 * @example
 * const device = cudaDeviceAvailable() ? 'cuda' : 'cpu';
 */
export function cudaDeviceAvailable(index = 0): boolean {
  return index < probeCuda();
}

/**
 * The device 'auto' stands for: the first CUDA device when one is usable here, else the CPU.
 * @example
 * model.to(autoDevice());
 */
export function autoDevice(): Device {
  return cudaDeviceAvailable() ? 'cuda:0' : 'cpu';
}

/** The CUDA device index of a canonical device ('cuda:N'). */
export function cudaIndex(device: Device): number {
  return device === 'cuda' ? 0 : Number(device.slice(5));
}

/**
 * A reference-counted block of memory of one dtype on one device.
 * @example
 * const s = Storage.alloc('float32', 4); s.data[0] = 1; s.release();
 */
export class Storage<D extends DType = DType> {
  readonly device: Device;
  readonly dtype: D;
  /** Elements held. */
  readonly length: number;
  private buffer: ArrayBuffer | null;
  private array: DTypeArrays[D] | null;
  private onDevice: DeviceBuffer | null;
  private refs = 1;

  private constructor(device: Device, dtype: D, length: number, buffer: ArrayBuffer | null, onDevice: DeviceBuffer | null) {
    this.device = device;
    this.dtype = dtype;
    this.length = length;
    this.buffer = buffer;
    this.array = buffer === null ? null : arrayFor(dtype, buffer, 0, length);
    this.onDevice = onDevice;
  }

  /**
   * New storage of `length` elements; the contents are undefined until written.
   * @example
   * const s = Storage.alloc('int32', 10);
   * const g = Storage.alloc('float32', 10, 'cuda'); // on a GPU machine
   */
  static alloc<D extends DType>(dtype: D, length: number, device: Device = 'cpu'): Storage<D> {
    if (device === 'cpu') return new Storage(device, dtype, length, takeBuffer(length * itemSize(dtype)), null);
    const canonical = parseDevice(device, 'Storage.alloc');
    return new Storage(canonical, dtype, length, null, cudaAlloc(length * itemSize(dtype), cudaIndex(canonical)));
  }

  /**
   * New storage holding a copy of `data`.
   * @example
   * const s = Storage.fromArray('float32', Float32Array.of(1, 2));
   */
  static fromArray<D extends DType>(dtype: D, data: DTypeArrays[D]): Storage<D> {
    const s = Storage.alloc(dtype, data.length);
    (s.data as TypedArray).set(data as never);
    return s;
  }

  /** The whole storage as a typed array (CPU only). Throws after the storage is freed. */
  get data(): DTypeArrays[D] {
    if (this.array === null) {
      if (this.onDevice !== null) {
        throw new Error(`tensor: the data is on ${this.device}; copy it to the CPU first with .to('cpu')`);
      }
      throw new Error('tensor: this tensor has been disposed (its storage was freed)');
    }
    return this.array;
  }

  /** The device buffer of a CUDA storage. Throws for CPU storage and after the storage is freed. */
  get deviceBuffer(): DeviceBuffer {
    if (this.onDevice === null) {
      if (this.device === 'cpu') throw new Error('tensor: this storage is on the CPU and has no device buffer');
      throw new Error('tensor: this tensor has been disposed (its storage was freed)');
    }
    return this.onDevice;
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.length * itemSize(this.dtype);
  }

  /** Holders now (tensors and saved autograd references). */
  get refCount(): number {
    return this.refs;
  }

  /** Whether the memory was freed. */
  get freed(): boolean {
    return this.buffer === null && this.onDevice === null;
  }

  /** Adds a holder. */
  retain(): this {
    if (this.freed) throw new Error('tensor: this tensor has been disposed (its storage was freed)');
    this.refs++;
    return this;
  }

  /** Drops a holder; the memory is freed when none is left. */
  release(): void {
    if (this.freed) return;
    if (--this.refs > 0) return;
    const buffer = this.buffer;
    const onDevice = this.onDevice;
    this.buffer = null;
    this.array = null;
    this.onDevice = null;
    if (buffer !== null) recycleBuffer(buffer);
    onDevice?.dispose();
  }
}
