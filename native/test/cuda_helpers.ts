// Shared by the CUDA suites: whether there is a device to test on (and why not), device buffers that are
// disposed after each test, and the product tolerances of each precision.
import { capabilities, cudaFromArray, type CudaPrecision, type DeviceBuffer } from '@graft/native';
import type { Tolerance } from './helpers.js';

export const caps = capabilities();
export const hasCuda = caps.cudaDevices.length > 0;
/** Appended to a suite's name: why it is skipped, or nothing. */
export const why = hasCuda ? '' : ` (skipped: no CUDA device: ${caps.cudaUnavailableReason})`;
/** Every device can run the TF32 and BF16 tensor-core paths (compute capability 8.0 or newer). */
export const tensorCores = hasCuda && caps.cudaDevices.every((d) => Number(d.computeCapability) >= 8);
/** The precisions the devices support. */
export const precisions: CudaPrecision[] = tensorCores ? ['float32', 'tf32', 'bf16'] : ['float32'];

/**
 * Tolerances against the float64 reference, per precision, for K products of values in [-1, 1]:
 * float32 rounds each FMA at 2^-24, so the error grows ~ sqrt(K) * 2^-24 (as the CPU gemm test);
 * TF32 rounds each input to a 10-bit mantissa (2^-11 relative), BF16 to 7 bits (2^-8), so each product
 * is off by up to ~2x that and the sum by ~sqrt(K) times it; float32 accumulation adds little more.
 */
export const productTolerance: Record<CudaPrecision, (k: number) => Tolerance> = {
  float32: (k) => ({ atol: 1e-5 * Math.sqrt(k + 1), rtol: 1e-5 }),
  tf32: (k) => ({ atol: 2e-3 * Math.sqrt(k + 1), rtol: 1e-3 }),
  bf16: (k) => ({ atol: 1.5e-2 * Math.sqrt(k + 1), rtol: 1e-2 }),
};

/**
 * Device buffers made through `dev`/`devZeros` until `disposeAll()`, which a suite calls after each test.
 * @example
 * const buffers = deviceBuffers();
 * afterEach(() => buffers.disposeAll());
 * const x = buffers.dev(new Float32Array([1, 2, 3]));
 */
export function deviceBuffers() {
  const made: DeviceBuffer[] = [];
  const dev = (data: Float32Array): DeviceBuffer => {
    const buffer = cudaFromArray(data);
    made.push(buffer);
    return buffer;
  };
  return {
    dev,
    devZeros: (n: number): DeviceBuffer => dev(new Float32Array(n)),
    disposeAll: (): void => void made.splice(0).forEach((b) => b.dispose()),
  };
}
