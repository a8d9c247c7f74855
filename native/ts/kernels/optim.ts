/**
 * Optimizer kernels over one flat float32 parameter, in place, with the semantics of PyTorch 1.13's
 * `torch.optim.SGD`, `torch.optim.Adam` / `AdamW` and `torch.nn.utils.clip_grad_norm_`.
 */
import { kernel, type Impl } from '../addon.js';

/** Arguments of {@link sgdStep}. All arrays have the parameter's length. */
export interface SgdStepArgs {
  param: Float32Array;
  grad: Float32Array;
  /** Required when momentum != 0; on the first step it is overwritten with the update direction. */
  momentumBuffer?: Float32Array;
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /** True on the parameter's first step (PyTorch's `buf is None`): buf = d instead of a decayed sum. */
  firstStep: boolean;
}

/**
 * One SGD step: `d = ±grad + weightDecay*param`; with momentum `buf = momentum*buf + (1-dampening)*d`
 * (`buf = d` on the first step), `d = nesterov ? d + momentum*buf : buf`; `param -= lr*d`.
 * @example
 * const param = Float32Array.of(1), grad = Float32Array.of(0.5), momentumBuffer = new Float32Array(1);
 * sgdStep({ param, grad, momentumBuffer, lr: 0.1, momentum: 0.9, firstStep: true }); // param = [0.95]
 */
export function sgdStep(args: SgdStepArgs, impl: Impl = 'cpu'): void {
  type Raw = (param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | undefined, lr: number,
    momentum: number, dampening: number, weightDecay: number, nesterov: boolean, maximize: boolean, firstStep: boolean) => void;
  kernel<Raw>('sgdStep', impl)(
    args.param, args.grad, args.momentumBuffer, args.lr, args.momentum ?? 0, args.dampening ?? 0,
    args.weightDecay ?? 0, args.nesterov ?? false, args.maximize ?? false, args.firstStep,
  );
}

/** Arguments of {@link adamStep}. All arrays have the parameter's length. */
export interface AdamStepArgs {
  param: Float32Array;
  grad: Float32Array;
  /** First moment, zeros before the first step. */
  expAvg: Float32Array;
  /** Second moment, zeros before the first step. */
  expAvgSq: Float32Array;
  /** Running maximum of the second moment; required when amsgrad. */
  maxExpAvgSq?: Float32Array;
  /** The step number, 1-based (1 on the first step). */
  step: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay?: number;
  /** AdamW: `param *= 1 - lr*weightDecay` instead of adding weightDecay*param to the gradient. */
  decoupledWeightDecay?: boolean;
  amsgrad?: boolean;
  maximize?: boolean;
}

/**
 * One Adam (or AdamW) step with bias correction:
 * `param -= lr/(1-beta1^step) * m / (sqrt(v)/sqrt(1-beta2^step) + eps)`.
 * @example
 * const n = 3, param = new Float32Array(n).fill(1), grad = new Float32Array(n).fill(0.1);
 * const expAvg = new Float32Array(n), expAvgSq = new Float32Array(n);
 * adamStep({ param, grad, expAvg, expAvgSq, step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }); // param ≈ 0.999
 */
export function adamStep(args: AdamStepArgs, impl: Impl = 'cpu'): void {
  type Raw = (param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | undefined, step: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupledWeightDecay: boolean, amsgrad: boolean, maximize: boolean) => void;
  kernel<Raw>('adamStep', impl)(
    args.param, args.grad, args.expAvg, args.expAvgSq, args.maxExpAvgSq, args.step, args.lr, args.beta1, args.beta2,
    args.eps, args.weightDecay ?? 0, args.decoupledWeightDecay ?? false, args.amsgrad ?? false, args.maximize ?? false,
  );
}

/**
 * Sum of squares accumulated in double, deterministic for any thread count.
 * @example
 * sumOfSquares(Float32Array.of(3, 4)); // 25
 */
export function sumOfSquares(x: Float32Array, impl: Impl = 'cpu'): number {
  return kernel<(x: Float32Array) => number>('sumOfSquares', impl)(x);
}

/**
 * Clips gradients in place by their total norm (as `torch.nn.utils.clip_grad_norm_`): computes the
 * `normType` norm of all grads together (2 by default, or Infinity, or any p > 0), and when
 * `maxNorm / (total + 1e-6) < 1` scales every grad by that factor. Returns the total norm before clipping.
 * @example
 * const g = Float32Array.of(3, 4);
 * clipGradNorm([g], 1); // 5; g ≈ [0.6, 0.8]
 */
export function clipGradNorm(grads: Float32Array[], maxNorm: number, normType = 2, impl: Impl = 'cpu'): number {
  type Raw = (grads: Float32Array[], maxNorm: number, normType: number) => number;
  return kernel<Raw>('clipGradNorm', impl)(grads, maxNorm, normType);
}
