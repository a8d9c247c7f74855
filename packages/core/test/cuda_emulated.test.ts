import { vi } from 'vitest';
vi.mock('@graft/native', async (importOriginal) => (await import('./emulated-native.js')).emulatedNative(await importOriginal()));
import { useEmulatedCuda } from './emulated-cuda.js';
import './cuda.test.js';
useEmulatedCuda();
