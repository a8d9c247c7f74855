/**
 * Option and parameter types shared by the ops.
 */

/** Options of reductions. */
export interface ReduceOptions {
  /** Keep reduced dims as size 1. Default false. */
  keepdim?: boolean;
}

/** One index of `Tensor.index`: a number selects (drops the dim), `null` keeps the whole dim,
 *  `[start, end, step?]` slices (end may be undefined for "to the end"). */
export type SliceSpec = number | null | readonly [number | undefined, (number | undefined)?, number?];

/** Unary kernel names (the native kernel family `unary`). */
export type UnaryOpName =
  | 'neg' | 'abs' | 'relu' | 'leakyRelu' | 'gelu' | 'geluTanh' | 'silu' | 'sigmoid' | 'tanh' | 'exp'
  | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal' | 'sign' | 'clamp' | 'affine' | 'powScalar';

/** Scalars a unary op reads: leakyRelu (alpha), clamp (min, max), affine (alpha*x + beta), powScalar (exponent). */
export interface UnaryParams {
  alpha?: number;
  beta?: number;
  min?: number;
  max?: number;
  exponent?: number;
}

/** Binary kernel names (broadcasting; comparisons give float32 0/1). */
export type BinaryOpName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Reduction kernel names. */
export type ReduceOpName = 'sum' | 'mean' | 'max' | 'min' | 'prod';
