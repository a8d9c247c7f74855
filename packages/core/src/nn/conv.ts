/**
 * Conv2d.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/functional.js';
import { defaultGenerator, fans, kaimingUniform_, uniform_, type Generator } from './init.js';
import { checkSize } from './linear.js';
import { Module, zerosKept } from './module.js';

/** A size given once for both spatial dims, or as [height, width]. */
export type Pair = number | readonly [number, number];

/**
 * Expands a {@link Pair}.
 * @example
 * pair(3); // [3, 3]
 */
export function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Channels are split into `groups` independent convolutions (default 1). */
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
  generator?: Generator;
}

/**
 * 2-D convolution. x (N,C,H,W), w (K,C/G,R,S), b (K), y (N,K,P,Q).
 * Initialised as PyTorch: w ~ kaiming_uniform(a=√5), b ~ U(±1/√fanIn), fanIn = C/G·R·S.
 * @example
 * const conv = new Conv2d(3, 16, 3, { padding: 1, bias: false });
 * conv.forward(images); // (N, 16, H, W)
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    checkSize('Conv2d', 'inChannels', inChannels);
    checkSize('Conv2d', 'outChannels', outChannels);
    checkSize('Conv2d', 'groups', groups);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must be divisible by groups ${groups}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    for (const [name, v, zero] of [['kernelSize', this.kernelSize, false], ['stride', this.stride, false],
      ['padding', this.padding, true], ['dilation', this.dilation, false]] as const) {
      checkSize('Conv2d', name, v[0], zero);
      checkSize('Conv2d', name, v[1], zero);
    }
    this.groups = groups;
    const [r, s] = this.kernelSize;
    this.weight = this.registerParameter('weight', zerosKept([outChannels, inChannels / groups, r, s]));
    this.bias = options.bias ?? true ? this.registerParameter('bias', zerosKept([outChannels])) : this.registerParameter('bias', null);
    this.resetParameters(options.generator);
  }

  /**
   * Re-draws the weights with PyTorch's default Conv2d init.
   * @example
   * conv.resetParameters();
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
    return F.conv2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    });
  }
}
