/**
 * In-place updates for optimizers, running statistics, weight loading and initialisation. They are not
 * recorded by autograd and refuse a target that requires grad unless run inside `noGrad`.
 */
import { needsGrad } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { broadcastShapes, broadcastStrides, sameShape, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { toDType } from './cast.js';
import { checkFloat, checkPair } from './elementwise.js';
import type { BinaryOpName } from './types.js';

function checkInPlace(op: string, target: Tensor): void {
  target.assertAlive(op);
  if (needsGrad(target)) {
    throw new Error(`${op}: in-place update of a tensor that requires grad; run it inside noGrad()`);
  }
  if (!target.isContiguous()) {
    throw new Error(`${op}: the target must be contiguous (shape ${shapeString(target.shape)}, strides ${shapeString(target.strides)})`);
  }
}

/**
 * target += other in place (other broadcast to target's shape). Not recorded by autograd.
 * @example
 * noGrad(() => addInPlace(runningSum, batchSum));
 */
export function addInPlace(target: Tensor, other: Tensor): Tensor {
  return binaryInPlace('add', target, other);
}

/**
 * target = op(target, other) in place for add/sub/mul/div/maximum/minimum.
 * @example
 * binaryInPlace('mul', t, mask);
 */
export function binaryInPlace(op: BinaryOpName, target: Tensor, other: Tensor): Tensor {
  checkInPlace(op, target);
  checkPair(op, target, other);
  const shape = broadcastShapes(op, target.shape, other.shape);
  if (!sameShape(shape, target.shape)) {
    throw new Error(`${op}: cannot broadcast ${shapeString(other.shape)} into the in-place target ${shapeString(target.shape)}`);
  }
  backendFor(target.device).binary(op, shape, target, target.strides, other, broadcastStrides(other.shape, other.strides, shape), target);
  return target;
}

/**
 * target = alpha * target + beta in place (float32). Not recorded by autograd.
 * @example
 * noGrad(() => affineInPlace(t, 0.9, 0));
 */
export function affineInPlace(target: Tensor, alpha: number, beta: number): Tensor {
  checkInPlace('affine', target);
  checkFloat('affine', target);
  backendFor(target.device).unary('affine', target, target, { alpha, beta });
  return target;
}

/**
 * Copies `src` (broadcast to target's shape, any dtype pair of float32/int32 or equal dtypes) into
 * `target` in place. Not recorded by autograd.
 * @example
 * noGrad(() => copyInto(param, loaded));
 */
export function copyInto(target: Tensor, src: Tensor): Tensor {
  target.assertAlive('copy');
  src.assertAlive('copy');
  if (needsGrad(target)) throw new Error('copy: in-place update of a tensor that requires grad; run it inside noGrad()');
  const shape = broadcastShapes('copy', target.shape, src.shape);
  if (!sameShape(shape, target.shape)) {
    throw new Error(`copy: cannot broadcast ${shapeString(src.shape)} into the target ${shapeString(target.shape)}`);
  }
  const converted = src.dtype === target.dtype ? src : toDType(src, target.dtype);
  const view = converted.expand(target.shape);
  backendFor(target.device).copy(view, target);
  view.dispose();
  if (converted !== src) converted.dispose();
  return target;
}

/**
 * Sets every element of `target` to `value` in place.
 * @example
 * noGrad(() => fillInPlace(bias, 0));
 */
export function fillInPlace(target: Tensor, value: number): Tensor {
  target.assertAlive('fill');
  if (needsGrad(target)) throw new Error('fill: in-place update of a tensor that requires grad; run it inside noGrad()');
  if (!target.isContiguous()) throw new Error(`fill: the target must be contiguous (shape ${shapeString(target.shape)})`);
  backendFor(target.device).fill(target, value);
  return target;
}
