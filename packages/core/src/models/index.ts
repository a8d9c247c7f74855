/**
 * Models with torchvision's parameter names, small baselines, and pretrained-weight loading.
 * @example
 * import { resnet20, loadPretrained } from '@graft/core';
 */
export * from './classifier.js';
export * from './resnet.js';
export * from './vgg.js';
export * from './simple.js';
export * from './pretrained.js';
