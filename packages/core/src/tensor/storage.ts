/**
 * Storage: one block of device memory shared by a tensor and all of its views, reference counted
 * and freed deterministically when the last holder lets go.
 *
 * CPU storage comes from the native allocator (`allocBuffer`, 64-byte aligned, counted in
 * `memoryStats()`), so a kernel reads it without a copy. A CUDA storage will be another `device`
 * value with its own allocator; ops reach device code only through `backendFor(device)`.
 */
import { allocBuffer, freeBuffer } from '@graft/native';
import { arrayFor, itemSize, type DType, type DTypeArrays, type TypedArray } from './dtype.js';

/** Where a tensor's memory lives. Only `'cpu'` exists today; CUDA devices will be `'cuda'`/`'cuda:N'`. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * Checks a device name and returns it. Devices other than 'cpu' are not implemented yet.
 * @example
 * parseDevice('cpu'); // 'cpu'
 */
export function parseDevice(device: string | undefined, op = 'tensor'): Device {
  if (device === undefined || device === 'cpu') return 'cpu';
  if (device === 'cuda' || /^cuda:\d+$/.test(device)) {
    throw new Error(`${op}: device '${device}' is not supported by @graft/core tensors yet (only 'cpu')`);
  }
  throw new Error(`${op}: unknown device '${device}' (expected 'cpu', 'cuda' or 'cuda:N')`);
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
  private refs = 1;

  private constructor(device: Device, dtype: D, length: number, buffer: ArrayBuffer) {
    this.device = device;
    this.dtype = dtype;
    this.length = length;
    this.buffer = buffer;
    this.array = arrayFor(dtype, buffer, 0, length);
  }

  /**
   * New storage of `length` elements; the contents are undefined until written.
   * @example
   * const s = Storage.alloc('int32', 10);
   */
  static alloc<D extends DType>(dtype: D, length: number, device: Device = 'cpu'): Storage<D> {
    if (device !== 'cpu') parseDevice(device);
    return new Storage(device, dtype, length, allocBuffer(length * itemSize(dtype)));
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
    if (this.array === null) throw new Error('tensor: this tensor has been disposed (its storage was freed)');
    return this.array;
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
    return this.buffer === null;
  }

  /** Adds a holder. */
  retain(): this {
    if (this.buffer === null) throw new Error('tensor: this tensor has been disposed (its storage was freed)');
    this.refs++;
    return this;
  }

  /** Drops a holder; the memory is freed when none is left. */
  release(): void {
    if (this.buffer === null) return;
    if (--this.refs > 0) return;
    const buffer = this.buffer;
    this.buffer = null;
    this.array = null;
    freeBuffer(buffer);
  }
}
