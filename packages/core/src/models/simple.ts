/**
 * Small baselines: a 3-block CNN and an MLP, both classifiers with a replaceable `fc` head.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Dropout, ReLU } from '../nn/activation.js';
import { Sequential } from '../nn/container.js';
import { Conv2d } from '../nn/conv.js';
import { Flatten, Linear, checkSize } from '../nn/linear.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { MaxPool2d } from '../nn/pooling.js';
import { Classifier, type HeadInit } from './classifier.js';

/** Options of {@link SmallCNN}. */
export interface SmallCNNOptions {
  inChannels?: number;
  numClasses?: number;
  /** Channels of the three conv blocks (default [32, 64, 128]). */
  widths?: readonly [number, number, number];
}

/**
 * Three blocks of conv3x3 + BN + ReLU + 2x2 max-pool, then global average pooling and `fc`.
 * @example
 * const model = new SmallCNN({ inChannels: 1, numClasses: 10 });
 * model.forward(images); // (N, 10)
 */
export class SmallCNN extends Classifier {
  readonly headName = 'fc';
  protected readonly headInit: HeadInit = 'pytorch';
  readonly body: Sequential;
  private fc: Linear;

  constructor(options: SmallCNNOptions = {}) {
    super();
    const widths = options.widths ?? [32, 64, 128];
    let c = options.inChannels ?? 1;
    checkSize('SmallCNN', 'inChannels', c);
    this.body = this.registerModule('body', new Sequential());
    for (const w of widths) {
      checkSize('SmallCNN', 'widths', w);
      this.body.append(new Conv2d(c, w, 3, { padding: 1, bias: false })).append(new BatchNorm2d(w))
        .append(new ReLU()).append(new MaxPool2d(2));
      c = w;
    }
    this.fc = this.registerModule('fc', new Linear(c, options.numClasses ?? 10));
  }

  get head(): Linear {
    return this.fc;
  }

  protected setHead(head: Linear): void {
    this.fc = this.registerModule('fc', head);
  }

  /** Global average of the last block: (N, widths[2]). */
  features(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`SmallCNN: expected (N, C, H, W) input, got shape [${x.shape.join(', ')}]`);
    return this.body.forward(x).mean([2, 3]);
  }
}

/** Options of {@link MLP}. */
export interface MLPOptions {
  /** Input features per example (inputs of more dims are flattened from dim 1). */
  inFeatures: number;
  /** Hidden widths (default [256, 128]). */
  hidden?: readonly number[];
  numClasses?: number;
  /** Dropout after each hidden ReLU (default 0). */
  dropout?: number;
}

/**
 * Flatten, then Linear + ReLU (+ Dropout) per hidden width, then `fc`.
 * @example
 * const model = new MLP({ inFeatures: 784, hidden: [128], numClasses: 10 });
 */
export class MLP extends Classifier {
  readonly headName = 'fc';
  protected readonly headInit: HeadInit = 'pytorch';
  readonly body: Sequential;
  private fc: Linear;

  constructor(options: MLPOptions) {
    super();
    checkSize('MLP', 'inFeatures', options.inFeatures);
    this.body = this.registerModule('body', new Sequential(new Flatten()));
    let c = options.inFeatures;
    for (const w of options.hidden ?? [256, 128]) {
      checkSize('MLP', 'hidden', w);
      this.body.append(new Linear(c, w)).append(new ReLU());
      if ((options.dropout ?? 0) > 0) this.body.append(new Dropout(options.dropout));
      c = w;
    }
    this.fc = this.registerModule('fc', new Linear(c, options.numClasses ?? 10));
  }

  get head(): Linear {
    return this.fc;
  }

  protected setHead(head: Linear): void {
    this.fc = this.registerModule('fc', head);
  }

  features(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}
