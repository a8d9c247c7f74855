/**
 * Losses with PyTorch's semantics (`F.cross_entropy`, `F.binary_cross_entropy_with_logits`), forward
 * and, when `dlogits` is given, the gradient of the reduced loss in the same call.
 */
import { kernel, type Impl } from '../addon.js';

/** How per-sample losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Arguments of {@link crossEntropy}. Pass exactly one of `targets` and `softTargets`. */
export interface CrossEntropyArgs {
  /** (n, c) unnormalised scores. */
  logits: Float32Array;
  n: number;
  c: number;
  /** (n) class indices in [0, c), or `ignoreIndex`. */
  targets?: Int32Array;
  /** (n, c) class probabilities. */
  softTargets?: Float32Array;
  /** (c) class weights; the weighted mean divides by the sum of the target weights. */
  weights?: Float32Array;
  /** In [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Target value whose samples contribute nothing (hard targets only); default -100. */
  ignoreIndex?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
  /** (n) for 'none', else (1). */
  losses: Float32Array;
  /** (n, c): receives the gradient of the reduced loss (for 'none': of the sum of the losses). */
  dlogits?: Float32Array;
}

type RawCrossEntropy = (
  logits: Float32Array, n: number, c: number, targets: Int32Array | null, softTargets: Float32Array | null,
  weights: Float32Array | null, labelSmoothing: number, ignoreIndex: number, reduction: Reduction,
  losses: Float32Array, dlogits: Float32Array | null,
) => void;

/**
 * Cross-entropy of `logits` against class indices or probabilities, as `F.cross_entropy`.
 * A target outside [0, c) that is not `ignoreIndex` throws, naming the sample.
 * @example
 * const losses = new Float32Array(1), dlogits = new Float32Array(4);
 * crossEntropy({ logits: Float32Array.from([2, 0, 0, 2]), n: 2, c: 2, targets: Int32Array.from([0, 1]), losses, dlogits });
 * // losses[0] = 0.1269
 */
export function crossEntropy(args: CrossEntropyArgs, impl: Impl = 'cpu'): void {
  kernel<RawCrossEntropy>('crossEntropy', impl)(
    args.logits, args.n, args.c, args.targets ?? null, args.softTargets ?? null, args.weights ?? null,
    args.labelSmoothing ?? 0, args.ignoreIndex ?? -100, args.reduction ?? 'mean', args.losses, args.dlogits ?? null,
  );
}

/** Arguments of {@link bceWithLogits}. */
export interface BceWithLogitsArgs {
  /** (n, c) scores; c defaults to 1. */
  logits: Float32Array;
  /** (n, c) targets in [0, 1]. */
  targets: Float32Array;
  n: number;
  c?: number;
  /** (c) weight of the positive term, per class. */
  posWeight?: Float32Array;
  /** Default 'mean' (over all n * c elements). */
  reduction?: Reduction;
  /** (n * c) for 'none', else (1). */
  losses: Float32Array;
  /** (n, c): receives the gradient of the reduced loss (for 'none': of the sum of the losses). */
  dlogits?: Float32Array;
}

type RawBce = (
  logits: Float32Array, targets: Float32Array, n: number, c: number, posWeight: Float32Array | null,
  reduction: Reduction, losses: Float32Array, dlogits: Float32Array | null,
) => void;

/**
 * Binary cross-entropy on logits, computed stably as `(1-y)x + (1+(pw-1)y)(log1p(exp(-|x|)) + max(-x, 0))`.
 * @example
 * const losses = new Float32Array(1);
 * bceWithLogits({ logits: Float32Array.from([0]), targets: Float32Array.from([1]), n: 1, losses }); // ln 2
 */
export function bceWithLogits(args: BceWithLogitsArgs, impl: Impl = 'cpu'): void {
  kernel<RawBce>('bceWithLogits', impl)(
    args.logits, args.targets, args.n, args.c ?? 1, args.posWeight ?? null, args.reduction ?? 'mean', args.losses,
    args.dlogits ?? null,
  );
}
