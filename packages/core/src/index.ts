/**
 * @graft/core: tensors, autograd, nn layers, optimizers, models, safetensors and checkpoints.
 *
 * @example
 * import { tensor, randn, tidy, functional as F } from '@graft/core';
 * const w = randn([3, 2], { seed: 0, requiresGrad: true });
 * const loss = tidy(() => F.mseLoss(tensor([[1, 2, 3]]).matmul(w), tensor([[0, 1]])));
 * loss.backward();
 */
import './tensor/cpu_backend.js';
import './tensor/cuda_backend.js';

// Tensors
export { Tensor, isTensor, type NestedArray, type Operand, type ShapeArgs } from './tensor/tensor.js';
export { Storage, parseDevice, cudaDeviceAvailable, autoDevice, type Device } from './tensor/storage.js';
export {
  cudaBackend, setCudaMatmulPrecision, getCudaMatmulPrecision, setCudaConvPrecision, getCudaConvPrecision,
} from './tensor/cuda_backend.js';
export { itemSize, isIntegral, type DType, type DTypeArrays, type TypedArray } from './tensor/dtype.js';
export { shapeString, broadcastShapes, contiguousStrides, numel, type Shape } from './tensor/shape.js';
export { tidy, keep, scopeDepth } from './tensor/scope.js';
export { backendFor, registerBackend, type Backend } from './tensor/backend.js';

// Autograd
export { backward, type BackwardOptions } from './autograd/backward.js';
export { noGrad, isGradEnabled, setGradEnabled, needsGrad, record, Node, type BackwardFn } from './autograd/graph.js';
export { zeroGrad } from './autograd/grad_utils.js';

// Ops
export {
  tensor, fromArray, empty, zeros, ones, full, scalar, zerosLike, onesLike, arange, linspace, eye,
  rand, randn, bernoulli, nextRandom, type CreateOptions, type RandomOptions, type NestedInput,
} from './ops/creation.js';
export {
  contiguous, reshape, view, permute, transpose, slice, narrow, select, index, squeeze, unsqueeze, expand, flatten,
} from './ops/views.js';
export { indexSelect, gather, cat, stack, split, chunk } from './ops/indexing.js';
export {
  add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, maximum, minimum, type TensorOrNumber,
} from './ops/elementwise.js';
export { eq, ne, lt, le, gt, ge, where } from './ops/compare.js';
export { addInPlace, binaryInPlace, affineInPlace, copyInto, fillInPlace } from './ops/inplace.js';
export { relu, leakyRelu, gelu, silu, sigmoid, tanh } from './ops/activations.js';
export { lerp } from './ops/lerp.js';
export { sum, mean, max, min, argmax, argmin, variance, std, sumTo, type VarOptions } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { matmul } from './ops/matmul.js';
export { toDType } from './ops/cast.js';
export { toDevice, isDeviceName } from './ops/device.js';
export type { ReduceOptions, SliceSpec } from './ops/types.js';
export * as functional from './ops/functional.js';

// Layers, optimizers, models, files (manualSeed here seeds both init and random ops)
export * from './nn/index.js';
export * from './optim/index.js';
export * from './models/index.js';
export * from './io/index.js';
