/**
 * lerp: `start + weight * (end - start)` with broadcasting, as torch.lerp. The forward runs the
 * native lerp kernel over packed operands of the output's shape (a broadcast operand is copied to
 * that shape first; a number weight is filled into one); the gradient is composed from binary ops:
 * dend = gy * w, dstart = gy - dend, dweight = gy * (end - start), each summed back to its shape.
 */
import { needsGrad, noGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { broadcastShapes, sameShape, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, full } from './creation.js';
import { binaryRaw, checkPair, reduceTo, unary } from './elementwise.js';
import { contiguous, expand } from './views.js';

/** `x` packed in `shape` (a new tensor when broadcast or copied; the caller disposes it if it is not `x`). */
function packedAs(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return noGrad(() => contiguous(x));
  return noGrad(() => {
    const view = expand(x, shape);
    const packed = contiguous(view, true);
    view.dispose();
    return packed;
  });
}

/**
 * Linear interpolation `start + weight * (end - start)`, elementwise with numpy broadcasting of all
 * three operands (torch.lerp); `weight` may be a number. Differentiable in every tensor operand.
 * At weight 1 the result is `end` only to within one rounding of `end - start` (torch.lerp switches
 * to `end - (1 - weight) * (end - start)` above 0.5 and is exact there).
 * @throws Error naming `lerp` and the shapes when they do not broadcast, or on a dtype or device mismatch.
 * @example
 * // An exponential moving average of a student's parameter, as in a mean teacher:
 * const teacher = lerp(teacherParam, studentParam, 1 - 0.999);
 */
export function lerp(start: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  checkPair('lerp', start, end);
  if (typeof weight !== 'number') checkPair('lerp', start, weight);
  else if (!Number.isFinite(weight)) throw new Error(`lerp: weight must be a finite number (got ${weight})`);
  const wShape = typeof weight === 'number' ? [] : weight.shape;
  const shape = broadcastAll(start.shape, end.shape, wShape);
  const device = start.device;
  const sc = packedAs(start, shape), ec = packedAs(end, shape);
  const wc = typeof weight === 'number' ? full(shape, weight, { device }) : packedAs(weight, shape);
  const out = empty(shape, { device });
  backendFor(device).lerp(sc, ec, wc, out);
  for (const [packed, original] of [[sc, start], [ec, end], [wc, weight]] as const) if (packed !== original) packed.dispose();
  if (!needsGrad(start, end, typeof weight === 'number' ? null : weight)) return out;
  return typeof weight === 'number' ? recordScalarWeight(out, start, end, weight) : recordTensorWeight(out, start, end, weight);
}

/** The broadcast shape of the three operands, or an error naming all three shapes. */
function broadcastAll(a: readonly number[], b: readonly number[], w: readonly number[]): number[] {
  try {
    return broadcastShapes('lerp', broadcastShapes('lerp', a, b), w);
  } catch {
    throw new Error(`lerp: cannot broadcast start ${shapeString(a)}, end ${shapeString(b)} and weight ${shapeString(w)}`);
  }
}

function recordScalarWeight(out: Tensor, start: Tensor, end: Tensor, w: number): Tensor {
  const [ss, es] = [start.shape, end.shape];
  const [rs, re] = [start.requiresGrad, end.requiresGrad];
  return record('lerp', out, [start, end], (gy) => [
    rs ? reduceTo(unary('affine', gy, { alpha: 1 - w, beta: 0 }), ss) : null,
    re ? reduceTo(unary('affine', gy, { alpha: w, beta: 0 }), es) : null,
  ]);
}

function recordTensorWeight(out: Tensor, start: Tensor, end: Tensor, weight: Tensor): Tensor {
  const [ss, es, ws] = [start.shape, end.shape, weight.shape];
  const [rs, re, rw] = [start.requiresGrad, end.requiresGrad, weight.requiresGrad];
  // Keeps only what the needed gradients read: weight for dstart/dend, start and end for dweight.
  const saved = [weight, ...(rw ? [start, end] : [])];
  return record('lerp', out, [start, end, weight], (gy, [sw, sa, sb]) => {
    let ga: Tensor | null = null, gb: Tensor | null = null, gw: Tensor | null = null;
    if (rs || re) {
      const gyw = binaryRaw('mul', gy, sw); // dend before summing to end's shape
      if (rs) ga = reduceTo(binaryRaw('sub', gy, gyw), ss);
      if (re) gb = reduceTo(gyw, es);
      else gyw.dispose();
    }
    if (rw) {
      const diff = binaryRaw('sub', sb, sa);
      gw = reduceTo(binaryRaw('mul', gy, diff), ws);
      diff.dispose();
    }
    return [ga, gb, gw];
  }, saved);
}
