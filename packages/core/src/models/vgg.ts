/**
 * VGG with torchvision's parameter names (torchvision.models.vgg*): `features.<i>` (convs, BN, ReLU,
 * max-pools numbered as torchvision's make_layers), adaptive average pool, and
 * `classifier.0/3/6` (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Dropout, ReLU } from '../nn/activation.js';
import { Sequential } from '../nn/container.js';
import { Conv2d } from '../nn/conv.js';
import { constant_, kaimingNormal_, normal_ } from '../nn/init.js';
import { Linear, checkSize } from '../nn/linear.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Classifier, type HeadInit } from './classifier.js';

/** A VGG layer list: conv widths and 'M' for a 2x2 max-pool. */
export type VGGConfig = ReadonlyArray<number | 'M'>;

/** torchvision's configurations A (VGG-11), B (13), D (16), E (19). */
export const VGG_CONFIGS: Readonly<Record<11 | 13 | 16 | 19, VGGConfig>> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/** Options of {@link VGG}. */
export interface VGGOptions {
  inChannels?: number;
  /** Default 1000. */
  numClasses?: number;
  /** BatchNorm after every conv (the `_bn` variants). Default false. */
  batchNorm?: boolean;
  /** Dropout probability in the classifier (default 0.5). */
  dropout?: number;
  /** Width of the two hidden classifier layers (default 4096). */
  hiddenSize?: number;
  /** Side of the adaptive average pool before the classifier (default 7). */
  poolSize?: number;
}

/**
 * VGG: `features` (convs), `avgpool`, `classifier`; initialised as torchvision (convs
 * kaiming_normal(fan_out, relu) with zero bias, BN 1/0, Linear N(0, 0.01) with zero bias).
 * `features(x)` returns the 2nd hidden layer's activations (the head's input); the head is
 * `classifier.6`.
 * @example
 * const model = new VGG(VGG_CONFIGS[11], { batchNorm: true, numClasses: 10 });
 */
export class VGG extends Classifier {
  readonly headName = 'classifier.6';
  protected readonly headInit: HeadInit = 'normal001';
  /** The conv stack (registered as `features`). */
  readonly convs: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(config: VGGConfig, options: VGGOptions = {}) {
    super();
    const inChannels = options.inChannels ?? 3;
    const numClasses = options.numClasses ?? 1000;
    const hidden = options.hiddenSize ?? 4096;
    const pool = options.poolSize ?? 7;
    for (const [k, v] of [['inChannels', inChannels], ['numClasses', numClasses], ['hiddenSize', hidden], ['poolSize', pool]] as const) {
      checkSize('VGG', k, v);
    }
    this.convs = this.registerModule('features', makeLayers(config, inChannels, options.batchNorm ?? false));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(pool));
    const last = [...config].reverse().find((v): v is number => v !== 'M');
    if (last === undefined) throw new Error('VGG: the configuration has no conv layer');
    const p = options.dropout ?? 0.5;
    this.classifier = this.registerModule('classifier', new Sequential(
      new Linear(last * pool * pool, hidden), new ReLU(), new Dropout(p),
      new Linear(hidden, hidden), new ReLU(), new Dropout(p),
      new Linear(hidden, numClasses),
    ));
    for (const [, m] of this.namedModules()) {
      if (m instanceof Conv2d) {
        kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        if (m.bias !== null) constant_(m.bias, 0);
      } else if (m instanceof BatchNorm2d && m.weight !== null && m.bias !== null) {
        constant_(m.weight, 1);
        constant_(m.bias, 0);
      } else if (m instanceof Linear) {
        normal_(m.weight, 0, 0.01);
        if (m.bias !== null) constant_(m.bias, 0);
      }
    }
  }

  get head(): Linear {
    return this.classifier.at(6) as Linear;
  }

  protected setHead(head: Linear): void {
    this.classifier.set(6, head);
  }

  /**
   * The pooled conv features, flattened: (N, C·pool·pool).
   * @example
   * model.pooledFeatures(x).shape; // [N, 25088]
   */
  pooledFeatures(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`VGG: expected (N, C, H, W) input, got shape [${x.shape.join(', ')}]`);
    return this.avgpool.forward(this.convs.forward(x)).flatten(1);
  }

  features(x: Tensor): Tensor {
    let y = this.pooledFeatures(x);
    for (let i = 0; i < 6; i++) y = this.classifier.at(i).forward(y);
    return y;
  }
}

/**
 * torchvision's make_layers: conv3x3 (padding 1, with bias) [+ BN] + ReLU per width, 2x2 max-pool per 'M'.
 * @example
 * makeLayers([8, 'M', 16, 'M'], 1, true); // Sequential of 8 layers
 */
export function makeLayers(config: VGGConfig, inChannels: number, batchNorm: boolean): Sequential {
  const seq = new Sequential();
  let c = inChannels;
  for (const v of config) {
    if (v === 'M') {
      seq.append(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    checkSize('VGG', 'config width', v);
    seq.append(new Conv2d(c, v, 3, { padding: 1 }));
    if (batchNorm) seq.append(new BatchNorm2d(v));
    seq.append(new ReLU());
    c = v;
  }
  return seq;
}

type VGGVariantOptions = Omit<VGGOptions, 'batchNorm'>;

/**
 * torchvision's vgg11 / vgg11_bn.
 * @example
 * const model = vgg11({ batchNorm: true, numClasses: 10 });
 */
export function vgg11(options: VGGOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[11], options);
}

/**
 * torchvision's vgg13 / vgg13_bn.
 * @example
 * const model = vgg13({ batchNorm: true });
 */
export function vgg13(options: VGGOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[13], options);
}

/**
 * torchvision's vgg16 / vgg16_bn.
 * @example
 * const model = vgg16();
 */
export function vgg16(options: VGGOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[16], options);
}

/**
 * torchvision's vgg19 / vgg19_bn.
 * @example
 * const model = vgg19({ numClasses: 100 });
 */
export function vgg19(options: VGGOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[19], options);
}

/**
 * torchvision's vgg11_bn.
 * @example
 * const model = vgg11Bn({ numClasses: 10 });
 */
export function vgg11Bn(options: VGGVariantOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[11], { ...options, batchNorm: true });
}

/**
 * torchvision's vgg16_bn.
 * @example
 * const model = vgg16Bn({ numClasses: 10 });
 */
export function vgg16Bn(options: VGGVariantOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[16], { ...options, batchNorm: true });
}

/**
 * torchvision's vgg13_bn.
 * @example
 * const model = vgg13Bn({ numClasses: 10 });
 */
export function vgg13Bn(options: VGGVariantOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[13], { ...options, batchNorm: true });
}

/**
 * torchvision's vgg19_bn.
 * @example
 * const model = vgg19Bn({ numClasses: 10 });
 */
export function vgg19Bn(options: VGGVariantOptions = {}): VGG {
  return new VGG(VGG_CONFIGS[19], { ...options, batchNorm: true });
}
