/**
 * Optimizers (SGD, Adam, AdamW) and gradient clipping.
 * @example
 * import { SGD, clipGradNorm } from '@graft/core';
 */
export * from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './clip.js';
