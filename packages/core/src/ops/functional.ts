/**
 * `functional`: the neural-network ops as plain functions (like torch.nn.functional), used by the
 * nn layers and available directly.
 * @example
 * import { functional as F } from '@graft/core';
 * const y = F.relu(F.conv2d(x, w, b, { padding: 1 }));
 */
export { linear, conv2d, type Conv2dOptions, type Size2 } from './conv2d.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, type Pool2dOptions } from './pool.js';
export { batchNorm, layerNorm, type BatchNormOptions } from './normalization.js';
export { dropout, type DropoutOptions } from './dropout.js';
export { embeddingLookup as embedding } from './indexing.js';
export {
  crossEntropy, nllLoss, mseLoss, binaryCrossEntropyWithLogits, oneHot,
  type CrossEntropyOptions, type NllLossOptions, type BceOptions, type Reduction,
} from './loss.js';
export { relu, leakyRelu, gelu, silu, sigmoid, tanh } from './activations.js';
export { softmax, logSoftmax } from './softmax.js';
export { lerp } from './lerp.js';
