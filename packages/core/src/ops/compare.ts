/**
 * Comparisons (float32 0/1 masks, not differentiable) and `where` (differentiable in its values).
 */
import { record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { broadcastShapes, broadcastStrides } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { toDType } from './cast.js';
import { empty, scalar } from './creation.js';
import { binaryRaw, checkPair, reduceTo, type TensorOrNumber } from './elementwise.js';
import type { BinaryOpName } from './types.js';

/** Runs `fn` on a scalar as a 0-d tensor and frees it. */
function withScalar(value: number, like: Tensor, fn: (s: Tensor) => Tensor): Tensor {
  const s = scalar(value, { device: like.device });
  try {
    return fn(s);
  } finally {
    s.dispose();
  }
}

function compare(op: BinaryOpName, a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') return withScalar(b, a, (s) => binaryRaw(op, a, s));
  return binaryRaw(op, a, b);
}

/**
 * a == b as a float32 0/1 mask (not differentiable).
 * @example
 * eq(pred, labels).mean(); // accuracy
 */
export function eq(a: Tensor, b: TensorOrNumber): Tensor {
  return compare('eq', a, b);
}

/**
 * a != b as a float32 0/1 mask.
 * @example
 * ne(x, 0);
 */
export function ne(a: Tensor, b: TensorOrNumber): Tensor {
  return compare('ne', a, b);
}

/**
 * a < b as a float32 0/1 mask.
 * @example
 * lt(x, 0);
 */
export function lt(a: Tensor, b: TensorOrNumber): Tensor {
  return compare('lt', a, b);
}

/**
 * a <= b as a float32 0/1 mask.
 * @example
 * le(x, 1);
 */
export function le(a: Tensor, b: TensorOrNumber): Tensor {
  return compare('le', a, b);
}

/**
 * a > b as a float32 0/1 mask.
 * @example
 * gt(probs, 0.9);
 */
export function gt(a: Tensor, b: TensorOrNumber): Tensor {
  return compare('gt', a, b);
}

/**
 * a >= b as a float32 0/1 mask.
 * @example
 * ge(x, 0);
 */
export function ge(a: Tensor, b: TensorOrNumber): Tensor {
  return compare('ge', a, b);
}

/**
 * cond != 0 ? a : b, broadcasting all three (cond may be float32, uint8 or bool).
 * @example
 * where(gt(x, 0), x, 0);
 */
export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  cond.assertAlive('where');
  const c = cond.dtype === 'float32' ? cond : toDType(cond, 'float32');
  const owned: Tensor[] = [];
  const ta = typeof a === 'number' ? (owned[owned.length] = scalar(a, { device: cond.device })) : a;
  const tb = typeof b === 'number' ? (owned[owned.length] = scalar(b, { device: cond.device })) : b;
  try {
    checkPair('where', ta, tb);
    if (c.device !== ta.device) throw new Error(`where: cond is on ${c.device} but the values are on ${ta.device}`);
    const shape = broadcastShapes('where', broadcastShapes('where', c.shape, ta.shape), tb.shape);
    const out = empty(shape, { device: ta.device });
    backendFor(ta.device).where(
      shape, c, broadcastStrides(c.shape, c.strides, shape), ta, broadcastStrides(ta.shape, ta.strides, shape),
      tb, broadcastStrides(tb.shape, tb.strides, shape), out,
    );
    const [as, bs] = [ta.shape, tb.shape];
    return record('where', out, [ta, tb], (gy, [sc]) => {
      const z = scalar(0, { device: gy.device });
      const ga = whereRaw(sc, gy, z);
      const gb = whereRaw(sc, z, gy);
      z.dispose();
      return [reduceTo(ga, as), reduceTo(gb, bs)];
    }, [c]);
  } finally {
    if (c !== cond) c.dispose();
    owned.forEach((t) => t.dispose());
  }
}

function whereRaw(c: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape);
  const out = empty(shape, { device: a.device });
  backendFor(a.device).where(
    shape, c, broadcastStrides(c.shape, c.strides, shape), a, broadcastStrides(a.shape, a.strides, shape),
    b, broadcastStrides(b.shape, b.strides, shape), out,
  );
  return out;
}

