/**
 * lerp: `out = a + w * (b - a)` over float32 arrays of one length, on the CPU or on a CUDA device.
 */
import { kernel, type Impl } from '../addon.js';
import type { DeviceRef } from '../cuda.js';

type RawLerp = (a: Float32Array, b: Float32Array, w: Float32Array, out: Float32Array) => void;
type RawCudaLerp = (a: DeviceRef, b: DeviceRef, w: DeviceRef, out: DeviceRef) => void;

/**
 * `out[i] = a[i] + w[i] * (b[i] - a[i])` for i < a.length, written in place into `out`. `out` may be
 * `a`, `b` or `w` itself; any other overlap with `out` throws.
 * @throws Error naming `lerp` and the argument when `b`, `w` or `out` is shorter than `a`.
 * @example
 * const a = Float32Array.of(0, 10), b = Float32Array.of(1, 20), w = Float32Array.of(0.5, 0.1);
 * const out = new Float32Array(2);
 * lerp(a, b, w, out); // out = [0.5, 11]
 */
export function lerp(a: Float32Array, b: Float32Array, w: Float32Array, out: Float32Array, impl: Impl = 'cpu'): void {
  kernel<RawLerp>('lerp', impl)(a, b, w, out);
}

/**
 * {@link lerp} over device buffers of one device (n = a's float count); queued on the device's stream.
 * @throws Error naming `cudaLerp` and the argument when one is not a live buffer of the first one's device
 * or is shorter than `a` (without CUDA or a GPU no buffer can be made: `cudaAlloc` throws first).
 * @example
 * cudaLerp(ema, params, weights, ema); // ema += weights * (params - ema)
 */
export function cudaLerp(a: DeviceRef, b: DeviceRef, w: DeviceRef, out: DeviceRef): void {
  kernel<RawCudaLerp>('cudaLerp')(a, b, w, out);
}
