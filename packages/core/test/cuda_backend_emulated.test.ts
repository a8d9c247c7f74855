// The CUDA backend (packages/core/src/tensor/cuda_backend.ts) on emulated CUDA kernels: the CUDA
// tensor suite (cuda.test.ts) runs through the real backend, whose kernel calls land in the CPU
// kernels over exactly the device bytes it names (see emulated-kernels.ts). A slice of the wrong
// length, offset or dtype fails here on any machine; the CUDA kernels themselves run only on a GPU.
import { vi } from 'vitest';
vi.mock('@graft/native', async (importOriginal) => (await import('./emulated-kernels.js')).emulatedKernels(await importOriginal()));
import './cuda.test.js';
