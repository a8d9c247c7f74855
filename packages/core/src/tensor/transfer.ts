/**
 * Moving tensor data between host and device: reading a device tensor's elements into a typed array
 * (the only places the host waits for the GPU: `dataSync`, `item`, `toArray`, printing, `to('cpu')`),
 * and copies between tensors on different devices. Kernels never call these: a CUDA op's inputs and
 * outputs stay on the device.
 */
import { cudaReadBytes, cudaWriteBytes, type DeviceSlice } from '@graft/native';
import { arrayFor, itemSize, type DType, type TypedArray } from './dtype.js';
import { Storage } from './storage.js';
import { Tensor } from './tensor.js';
import { backendFor } from './backend.js';

/**
 * `count` elements of `t`'s storage starting `start` elements into it, as a byte range of its device buffer.
 * @example
 * cudaReadBytes(storageSlice(t, t.offset, t.numel), out);
 */
export function storageSlice(t: Tensor, start: number, count: number): DeviceSlice {
  const size = itemSize(t.dtype);
  return { buffer: t.storage.deviceBuffer, byteOffset: start * size, byteLength: count * size };
}

/**
 * A new host array of `length` elements of `dtype`.
 * @example
 * hostArray('int32', 3); // Int32Array(3)
 */
export function hostArray(dtype: DType, length: number): TypedArray {
  return arrayFor(dtype, new ArrayBuffer(length * itemSize(dtype)), 0, length);
}

/**
 * A copy of `count` storage elements of `t` from storage position `start` (any device), on the host.
 * @example
 * const first = readStorage(t, t.offset, 1)[0];
 */
export function readStorage(t: Tensor, start: number, count: number): TypedArray {
  if (t.device === 'cpu') return (t.storage.data as TypedArray).slice(start, start + count);
  const out = hostArray(t.dtype, count);
  if (count > 0) cudaReadBytes(storageSlice(t, start, count), out);
  return out;
}

/** A packed tensor holding `t`'s elements on `t`'s device (t itself when already packed). */
function packedOnDevice(t: Tensor): Tensor {
  if (t.isContiguous()) return t;
  const out = new Tensor(Storage.alloc(t.dtype, t.numel, t.device), [...t.shape]);
  backendFor(t.device).copy(t, out);
  return out;
}

/**
 * The elements of `t` (any device, any strides) in row-major order, as a new host array.
 * @example
 * const values = readElements(deviceTensor) as Float32Array;
 */
export function readElements(t: Tensor): TypedArray {
  const packed = packedOnDevice(t);
  try {
    return readStorage(packed, packed.offset, packed.numel);
  } finally {
    if (packed !== t) packed.dispose();
  }
}

/**
 * dst[...] = src[...] for tensors of one shape and dtype on different devices (any strides on
 * either side): packs on the source device, moves the bytes once, then scatters on the target.
 * @example
 * copyAcrossDevices(hostWeights, cudaParam);
 */
export function copyAcrossDevices(src: Tensor, dst: Tensor): void {
  if (src.dtype !== dst.dtype) throw new Error(`copy: dtype mismatch (${src.dtype} into ${dst.dtype})`);
  if (src.numel === 0) return;
  const host = readElements(src);
  if (dst.device === 'cpu') {
    const staging = new Tensor(Storage.fromArray(dst.dtype, host as never), [...dst.shape]);
    try {
      backendFor('cpu').copy(staging, dst);
    } finally {
      staging.dispose();
    }
    return;
  }
  if (dst.isContiguous()) {
    cudaWriteBytes(storageSlice(dst, dst.offset, dst.numel), host);
    return;
  }
  const staging = new Tensor(Storage.alloc(dst.dtype, dst.numel, dst.device), [...dst.shape]);
  try {
    cudaWriteBytes(storageSlice(staging, 0, staging.numel), host);
    backendFor(dst.device).copy(staging, dst);
  } finally {
    staging.dispose();
  }
}
