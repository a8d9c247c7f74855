/**
 * Activations and Dropout as modules.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/functional.js';
import { defaultGenerator, type Generator } from './init.js';
import { Module } from './module.js';

/**
 * max(0, x).
 * @example
 * new ReLU().forward(x);
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/**
 * GELU, exact (erf) form as PyTorch's default.
 * @example
 * new GELU().forward(x);
 */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}

/**
 * x * sigmoid(x).
 * @example
 * new SiLU().forward(x);
 */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}

/**
 * 1 / (1 + e^-x).
 * @example
 * new Sigmoid().forward(logits);
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/**
 * tanh(x).
 * @example
 * new Tanh().forward(x);
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * x for x > 0, slope·x otherwise.
 * @example
 * new LeakyReLU(0.2).forward(x);
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
}

/**
 * Zeroes each element with probability p in training mode and scales the rest by 1/(1-p); the
 * identity in eval mode. Each call draws a new mask seed from the generator (default: the
 * module-level one), so runs are reproducible after `manualSeed`.
 * @example
 * const drop = new Dropout(0.5); drop.forward(x);
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly generator: Generator | undefined;

  constructor(p = 0.5, generator?: Generator) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: argument 'p' must be in [0, 1], got ${p}`);
    this.p = p;
    this.generator = generator;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const seed = (this.generator ?? defaultGenerator()).nextSeed();
    return F.dropout(x, this.p, { seed });
  }
}
