/**
 * Classifier: the shape every Graft model takes for transfer learning. A classifier is a backbone
 * (`features(x)`: the input of the head, i.e. flattened pooled features) and a head (the last
 * Linear layer); `replaceHead` swaps the head for a freshly initialised one sized to new classes.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Generator, defaultGenerator, normal_, constant_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';

/** How a model family initialises a new head. */
export type HeadInit = 'pytorch' | 'normal001';

/** Options of {@link Classifier.replaceHead}. */
export interface ReplaceHeadOptions {
  /** Seed of the new head's weights (default: drawn from the module-level generator). */
  seed?: number;
}

/**
 * Base class of classifiers: `forward(x) = head(features(x))`.
 * @example
 * const model = resnet20({ numClasses: 5 });
 * model.replaceHead(10);
 * const opt = new SGD([{ params: model.backboneParameters(), lr: 0.001 }, { params: model.headParameters() }], { lr: 0.01 });
 */
export abstract class Classifier extends Module {
  /** The head's dotted name in the state dict ('fc' for ResNet, 'classifier.6' for VGG). */
  abstract readonly headName: string;
  /** How a fresh head is initialised (PyTorch's Linear default, or N(0, 0.01) as torchvision VGG). */
  protected abstract readonly headInit: HeadInit;

  /** Backbone output: the input of the head, (N, head.inFeatures). */
  abstract features(x: Tensor): Tensor;

  /** The output layer. */
  abstract get head(): Linear;

  /** Installs `head` as the output layer. */
  protected abstract setHead(head: Linear): void;

  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }

  /** Number of classes the head predicts. */
  get numClasses(): number {
    return this.head.outFeatures;
  }

  /**
   * Replaces the head with a fresh one for `numClasses` classes (seeded init as the family's own),
   * disposing the old one. Returns the new head.
   * @example
   * model.replaceHead(5, { seed: 1 });
   */
  replaceHead(numClasses: number, options: ReplaceHeadOptions = {}): Linear {
    const generator = options.seed === undefined ? defaultGenerator() : new Generator(options.seed);
    const old = this.head;
    const head = new Linear(old.inFeatures, numClasses, { generator });
    if (this.headInit === 'normal001') {
      normal_(head.weight, 0, 0.01, generator);
      if (head.bias !== null) constant_(head.bias, 0);
    }
    head.training = old.training;
    // Initialised on the host (the same numbers on every device), then placed beside the backbone.
    head.to(old.device);
    this.setHead(head);
    old.dispose();
    return head;
  }

  /**
   * Parameters of the head.
   * @example
   * new SGD(model.headParameters(), { lr: 0.01 }); // linear probe
   */
  headParameters(): Tensor[] {
    return this.head.parameters();
  }

  /**
   * Every parameter that is not in the head.
   * @example
   * model.backboneParameters().length;
   */
  backboneParameters(): Tensor[] {
    const head = new Set(this.headParameters());
    return this.parameters().filter((p) => !head.has(p));
  }
}
