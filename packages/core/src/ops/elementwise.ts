/**
 * Elementwise ops with numpy broadcasting: arithmetic and unary maps, each with its gradient.
 * Scalar operands run as one unary kernel (affine, powScalar, clamp) instead of a broadcast tensor.
 * Comparisons and `where` are in compare.ts, in-place updates in inplace.ts.
 */
import { needsGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { broadcastShapes, broadcastStrides, sameShape, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { sumTo } from './reduce.js';
import { contiguous } from './views.js';
import type { BinaryOpName, UnaryOpName, UnaryParams } from './types.js';

/** A tensor or a number. */
export type TensorOrNumber = Tensor | number;

/**
 * Checks that `x` is alive and float32 (the compute dtype).
 * @example
 * checkFloat('relu', x);
 */
export function checkFloat(op: string, x: Tensor): void {
  x.assertAlive(op);
  if (x.dtype !== 'float32') {
    throw new Error(`${op}: expected a float32 tensor but got ${x.dtype} (shape ${shapeString(x.shape)}); convert with .float()`);
  }
}

/**
 * Checks that both operands are alive float32 tensors on the same device.
 * @example
 * checkPair('add', a, b);
 */
export function checkPair(op: string, a: Tensor, b: Tensor): void {
  checkFloat(op, a);
  checkFloat(op, b);
  if (a.device !== b.device) {
    throw new Error(`${op}: tensors are on different devices (${a.device}, ${b.device})`);
  }
}

/**
 * y = op(x) through the unary kernel, with its gradient through the unary backward kernel.
 * @example
 * unary('exp', x);
 */
export function unary(op: UnaryOpName, x: Tensor, params: UnaryParams = {}, name: string = op): Tensor {
  checkFloat(name, x);
  const backend = backendFor(x.device);
  const xc = contiguous(x);
  const y = empty(x.shape, { device: x.device });
  backend.unary(op, xc, y, params);
  if (needsGrad(x)) {
    record(name, y, [x], (gy, [sx, sy]) => {
      const g = contiguous(gy);
      const dx = empty(sx.shape, { device: sx.device });
      backend.unaryBackward(op, sx, sy, g, dx, params);
      if (g !== gy) g.dispose();
      return [dx];
    }, outputSuffices(op, params) ? [y, y] : [xc, y]);
  }
  if (xc !== x) xc.dispose();
  return y;
}

/**
 * Whether op'(x) can be read from the output alone (same sign, or constant), so backward need not
 * keep the input alive: relu and friends save half the activation memory this way.
 */
function outputSuffices(op: UnaryOpName, params: UnaryParams): boolean {
  return op === 'relu' || op === 'neg' || op === 'affine' || (op === 'leakyRelu' && (params.alpha ?? 0.01) >= 0);
}

/**
 * out = op(a, b) through the broadcasting binary kernel; no gradient (the ops below add it).
 * @example
 * binaryRaw('add', a, b);
 */
export function binaryRaw(op: BinaryOpName, a: Tensor, b: Tensor): Tensor {
  checkPair(op, a, b);
  const shape = sameShape(a.shape, b.shape) ? [...a.shape] : broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, { device: a.device });
  const aStrides = sameShape(a.shape, shape) ? a.strides : broadcastStrides(a.shape, a.strides, shape);
  const bStrides = sameShape(b.shape, shape) ? b.strides : broadcastStrides(b.shape, b.strides, shape);
  backendFor(a.device).binary(op, shape, a, aStrides, b, bStrides, out);
  return out;
}

/**
 * a + b with broadcasting.
 * @example
 * add(x, 1); add(x, bias);
 */
export function add(a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') return unary('affine', a, { alpha: 1, beta: b }, 'add');
  const out = binaryRaw('add', a, b);
  const [as, bs] = [a.shape, b.shape];
  return record('add', out, [a, b], (gy) => [sumTo(gy, as), sumTo(gy, bs)]);
}

/**
 * a - b with broadcasting.
 * @example
 * sub(x, mean);
 */
export function sub(a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') return unary('affine', a, { alpha: 1, beta: -b }, 'sub');
  const out = binaryRaw('sub', a, b);
  const [as, bs] = [a.shape, b.shape];
  return record('sub', out, [a, b], (gy) => {
    const gb = sumTo(gy, bs);
    const neg = unary('neg', gb);
    gb.dispose();
    return [sumTo(gy, as), neg];
  });
}

/**
 * a * b with broadcasting.
 * @example
 * mul(x, 0.5); mul(x, mask);
 */
export function mul(a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') return unary('affine', a, { alpha: b, beta: 0 }, 'mul');
  const out = binaryRaw('mul', a, b);
  const [as, bs] = [a.shape, b.shape];
  const [ra, rb] = [a.requiresGrad, b.requiresGrad];
  return record('mul', out, [a, b], (gy, [sa, sb]) => [
    ra ? productTo(gy, sb, as) : null,
    rb ? productTo(gy, sa, bs) : null,
  ], [a, b]);
}

/** sumTo(gy * other, shape), freeing the product. */
function productTo(gy: Tensor, other: Tensor, shape: readonly number[]): Tensor {
  const p = binaryRaw('mul', gy, other);
  const r = sumTo(p, shape);
  if (r !== p) p.dispose();
  return r;
}

/**
 * a / b with broadcasting.
 * @example
 * div(x, std);
 */
export function div(a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') return unary('affine', a, { alpha: 1 / b, beta: 0 }, 'div');
  const out = binaryRaw('div', a, b);
  const [as, bs] = [a.shape, b.shape];
  const [ra, rb] = [a.requiresGrad, b.requiresGrad];
  return record('div', out, [a, b], (gy, [sb, so]) => {
    const ga = ra ? binaryRaw('div', gy, sb) : null;
    let gb: Tensor | null = null;
    if (rb) {
      // d(a/b)/db = -out / b
      const q = binaryRaw('mul', gy, so);
      const r = binaryRaw('div', q, sb);
      q.dispose();
      gb = unary('neg', r);
      r.dispose();
    }
    return [ga === null ? null : reduceTo(ga, as), gb === null ? null : reduceTo(gb, bs)];
  }, [b, out]);
}

/**
 * sumTo that frees its input when it made a new tensor (the gradient of a broadcast operand).
 * @example
 * const ga = reduceTo(binaryRaw('mul', gy, b), a.shape);
 */
export function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  const r = sumTo(g, shape);
  if (r !== g) g.dispose();
  return r;
}

/**
 * a ** b (b a number or a broadcast tensor). With a tensor exponent, d/db = out * log(a).
 * @example
 * pow(x, 2); pow(base, exponents);
 */
export function pow(a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') {
    if (b === 2) return unary('square', a, {}, 'pow');
    if (b === 1) return mul(a, 1);
    return unary('powScalar', a, { exponent: b }, 'pow');
  }
  const out = binaryRaw('pow', a, b);
  const [as, bs] = [a.shape, b.shape];
  const [ra, rb] = [a.requiresGrad, b.requiresGrad];
  return record('pow', out, [a, b], (gy, [sa, sb, so]) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (ra) {
      // b * a^(b-1) = b * out / a would fail at a = 0; compute a^(b-1) directly.
      const bm1 = unary('affine', sb, { alpha: 1, beta: -1 });
      const p = binaryRaw('pow', sa, bm1);
      const q = binaryRaw('mul', p, sb);
      ga = binaryRaw('mul', gy, q);
      [bm1, p, q].forEach((t) => t.dispose());
      ga = reduceTo(ga, as);
    }
    if (rb) {
      const la = unary('log', sa);
      const q = binaryRaw('mul', so, la);
      gb = reduceTo(binaryRaw('mul', gy, q), bs);
      la.dispose();
      q.dispose();
    }
    return [ga, gb];
  }, [a, b, out]);
}

/** Gradient split for maximum/minimum: ties share the gradient equally (as in PyTorch). */
function extremum(op: 'maximum' | 'minimum', a: Tensor, b: TensorOrNumber): Tensor {
  if (typeof b === 'number') {
    return unary('clamp', a, op === 'maximum' ? { min: b } : { max: b }, op);
  }
  const out = binaryRaw(op, a, b);
  const [as, bs] = [a.shape, b.shape];
  return record(op, out, [a, b], (gy, [sa, sb]) => {
    const wins = binaryRaw(op === 'maximum' ? 'gt' : 'lt', sa, sb);
    const ties = binaryRaw('eq', sa, sb);
    const half = unary('affine', ties, { alpha: 0.5, beta: 0 });
    const wa = binaryRaw('add', wins, half);
    const wb = unary('affine', wa, { alpha: -1, beta: 1 });
    const ga = reduceTo(binaryRaw('mul', gy, wa), as);
    const gb = reduceTo(binaryRaw('mul', gy, wb), bs);
    [wins, ties, half, wa, wb].forEach((t) => t.dispose());
    return [ga, gb];
  }, [a, b]);
}

/**
 * Elementwise maximum (broadcasting); ties split the gradient.
 * @example
 * maximum(x, 0); // relu
 */
export function maximum(a: Tensor, b: TensorOrNumber): Tensor {
  return extremum('maximum', a, b);
}

/**
 * Elementwise minimum (broadcasting); ties split the gradient.
 * @example
 * minimum(x, y);
 */
export function minimum(a: Tensor, b: TensorOrNumber): Tensor {
  return extremum('minimum', a, b);
}

/**
 * -x.
 * @example
 * neg(x);
 */
export function neg(x: Tensor): Tensor {
  return unary('neg', x);
}

/**
 * e^x.
 * @example
 * exp(x);
 */
export function exp(x: Tensor): Tensor {
  return unary('exp', x);
}

/**
 * Natural logarithm.
 * @example
 * log(probs);
 */
export function log(x: Tensor): Tensor {
  return unary('log', x);
}

/**
 * Square root.
 * @example
 * sqrt(variance);
 */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x);
}

/**
 * |x| (gradient sign(x), 0 at 0).
 * @example
 * abs(x);
 */
export function abs(x: Tensor): Tensor {
  return unary('abs', x);
}

/**
 * x clamped into [min, max]; the gradient passes where x is inside.
 * @example
 * clamp(p, 1e-7, 1 - 1e-7);
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min !== undefined && max !== undefined && min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  const params: UnaryParams = {};
  if (min !== undefined) params.min = min;
  if (max !== undefined) params.max = max;
  return unary('clamp', x, params);
}
