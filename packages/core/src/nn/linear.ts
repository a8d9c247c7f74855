/**
 * Linear, Identity and Flatten.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/functional.js';
import { kaimingUniform_, uniform_, fans, defaultGenerator, type Generator } from './init.js';
import { Module, zerosKept } from './module.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Draw the initial weights from this generator (default: the module-level one). */
  generator?: Generator;
}

/**
 * y = x Wᵀ + b. x (..., inFeatures), W (outFeatures, inFeatures), b (outFeatures), y (..., outFeatures).
 * Initialised as PyTorch: W ~ kaiming_uniform(a=√5) = U(±1/√in), b ~ U(±1/√in).
 * @example
 * const fc = new Linear(64, 10);
 * fc.forward(features); // (N, 10)
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter('weight', zerosKept([outFeatures, inFeatures]));
    this.bias = options.bias ?? true ? this.registerParameter('bias', zerosKept([outFeatures])) : this.registerParameter('bias', null);
    this.resetParameters(options.generator);
  }

  /**
   * Re-draws the weights with PyTorch's default Linear init.
   * @example
   * fc.resetParameters(new Generator(3));
   */
  resetParameters(generator: Generator = defaultGenerator()): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const { fanIn } = fans(this.weight.shape);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound, generator);
    }
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/**
 * Returns its input unchanged (a placeholder where a layer was removed, e.g. a dropped head).
 * @example
 * model.registerModule('fc', new Identity());
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Merges dims startDim..endDim (default 1..-1: (N, C, H, W) -> (N, C*H*W)).
 * @example
 * new Flatten().forward(x); // (N, C*H*W)
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/**
 * Throws unless `value` is a positive integer (layer sizes).
 * @example
 * checkSize('Linear', 'inFeatures', 64);
 */
export function checkSize(layer: string, name: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${layer}: argument '${name}' must be an integer >= ${allowZero ? 0 : 1}, got ${value}`);
  }
}
