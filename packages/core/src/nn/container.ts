/**
 * Sequential: children named '0', '1', ... run in order, as PyTorch's nn.Sequential.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module from tensor to tensor (what Sequential chains). */
export type Layer = Module<[Tensor], Tensor>;

/**
 * Runs its layers in order. Children are named '0', '1', ... so state-dict keys read like
 * PyTorch's (`features.0.weight`).
 * @example
 * const mlp = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * mlp.at(-1); // the last Linear
 */
export class Sequential extends Module {
  private readonly layers: Layer[] = [];

  constructor(...layers: Layer[]) {
    super();
    for (const layer of layers) this.append(layer);
  }

  /**
   * Adds a layer at the end (named by its index).
   * @example
   * seq.append(new ReLU());
   */
  append(layer: Layer): this {
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  /**
   * The layer at `index` (negative counts from the end), as `seq[index]` in PyTorch.
   * @example
   * seq.at(0);
   */
  at(index: number): Layer {
    const i = index < 0 ? index + this.layers.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.layers.length) {
      throw new Error(`Sequential.at: index ${index} is out of range for ${this.layers.length} layers`);
    }
    return this.layers[i];
  }

  /**
   * Replaces the layer at `index` (keeping its name).
   * @example
   * classifier.set(-1, new Linear(4096, 5));
   */
  set(index: number, layer: Layer): this {
    const i = index < 0 ? index + this.layers.length : index;
    this.at(index);
    this.layers[i] = layer;
    this.registerModule(String(i), layer);
    return this;
  }

  /** Number of layers. */
  get length(): number {
    return this.layers.length;
  }

  [Symbol.iterator](): IterableIterator<Layer> {
    return this.layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return y;
  }
}
