/**
 * Layers, losses and initialisation.
 * @example
 * import { Sequential, Linear, ReLU, CrossEntropyLoss } from '@graft/core';
 */
export * from './module.js';
export * from './pattern.js';
export * from './init.js';
export * from './linear.js';
export * from './conv.js';
export * from './normalization.js';
export * from './activation.js';
export * from './pooling.js';
export * from './embedding.js';
export * from './container.js';
export * from './loss.js';
