/**
 * Safetensors files, tensor conversion and checkpoints.
 * @example
 * import { readSafetensors, saveCheckpoint } from '@graft/core';
 */
export * from './dtypes.js';
export * from './safetensors.js';
export * from './tensors.js';
export * from './checkpoint.js';
