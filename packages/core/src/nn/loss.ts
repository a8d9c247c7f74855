/**
 * Losses as modules: CrossEntropyLoss, MSELoss, BCEWithLogitsLoss. Each is `forward(input, target)`.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/functional.js';
import type { Reduction } from '../ops/functional.js';
import { Module } from './module.js';

/** Options of {@link CrossEntropyLoss}. */
export interface CrossEntropyLossOptions {
  /** Per-class weights (C), float32. */
  weight?: Tensor;
  /** Targets equal to this index add nothing (default -100). */
  ignoreIndex?: number;
  /** Mixes the target with the uniform distribution: (1-ε)·target + ε/C (default 0). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Cross-entropy of logits (N, C) against class indices (N) (int32/int64) or class probabilities
 * (N, C) (float32), as torch.nn.CrossEntropyLoss.
 * @example
 * const loss = new CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, labels);
 */
export class CrossEntropyLoss extends Module<[Tensor, Tensor], Tensor> {
  readonly options: Readonly<CrossEntropyLossOptions>;

  constructor(options: CrossEntropyLossOptions = {}) {
    super();
    const ls = options.labelSmoothing ?? 0;
    if (!(ls >= 0 && ls <= 1)) throw new Error(`CrossEntropyLoss: argument 'labelSmoothing' must be in [0, 1], got ${ls}`);
    this.options = { ...options };
    if (options.weight !== undefined) this.registerBuffer('weight', options.weight);
  }

  forward(logits: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(logits, target, this.options);
  }
}

/**
 * Mean (or sum) of squared differences.
 * @example
 * new MSELoss().forward(prediction, target);
 */
export class MSELoss extends Module<[Tensor, Tensor], Tensor> {
  constructor(readonly reduction: Reduction = 'mean') {
    super();
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.reduction);
  }
}

/** Options of {@link BCEWithLogitsLoss}. */
export interface BCEWithLogitsLossOptions {
  /** Per-element weight (broadcast to the input). */
  weight?: Tensor;
  /** Weight of positive examples per class (broadcast over the last dim). */
  posWeight?: Tensor;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits (numerically stable), as torch.nn.BCEWithLogitsLoss.
 * @example
 * new BCEWithLogitsLoss().forward(logits, targets01);
 */
export class BCEWithLogitsLoss extends Module<[Tensor, Tensor], Tensor> {
  readonly options: Readonly<BCEWithLogitsLossOptions>;

  constructor(options: BCEWithLogitsLossOptions = {}) {
    super();
    this.options = { ...options };
    if (options.weight !== undefined) this.registerBuffer('weight', options.weight);
    if (options.posWeight !== undefined) this.registerBuffer('pos_weight', options.posWeight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.options);
  }
}
