/**
 * BatchNorm1d, BatchNorm2d and LayerNorm.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/functional.js';
import { constant_ } from './init.js';
import { checkSize } from './linear.js';
import { Module, zerosKept } from './module.js';
import { noGrad } from '../autograd/graph.js';
import { affineInPlace, copyInto } from '../ops/inplace.js';

/**
 * Adds 1 to an int64 batch counter in place and returns a reader of the new count. On the CPU the
 * count is written directly; on a GPU it is incremented by kernels (through float32, exact below
 * 2^24 batches) and only read back, waiting for the device, when the reader is called.
 */
function countBatch(counter: Tensor): () => number {
  if (counter.device === 'cpu') {
    const count = counter.dataSync<'int64'>();
    count[0] += 1n;
    const value = Number(count[0]);
    return () => value;
  }
  noGrad(() => {
    const asFloat = counter.to('float32');
    affineInPlace(asFloat, 1, 1);
    copyInto(counter, asFloat);
    asFloat.dispose();
  });
  return () => counter.item();
}

/** Options of the batch norm layers (PyTorch's defaults). */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Running-statistics update factor (default 0.1); null: cumulative average over batches. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the channel dim C of x (N, C, ...). Buffers `running_mean`,
 * `running_var` and `num_batches_tracked` as PyTorch. Training mode normalises with the batch
 * statistics and updates the running ones; eval mode uses the running ones. `freezeStatistics()`
 * makes training use (and keep) the running statistics too, as when fine-tuning with small batches.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  /** When true, training mode normalises with the running statistics and leaves them unchanged. */
  frozenStats = false;
  protected abstract readonly layerName: string;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    checkSize('BatchNorm', 'numFeatures', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', constant_(zerosKept([numFeatures]), 1)) : this.registerParameter('weight', null);
    this.bias = affine ? this.registerParameter('bias', zerosKept([numFeatures])) : this.registerParameter('bias', null);
    if (options.trackRunningStats ?? true) {
      this.runningMean = this.registerBuffer('running_mean', zerosKept([numFeatures]));
      this.runningVar = this.registerBuffer('running_var', constant_(zerosKept([numFeatures]), 1));
      this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zerosKept([], 'int64'));
    } else {
      this.runningMean = this.registerBuffer('running_mean', null);
      this.runningVar = this.registerBuffer('running_var', null);
      this.numBatchesTracked = this.registerBuffer('num_batches_tracked', null);
    }
  }

  /**
   * Uses the running statistics in training mode too (and stops updating them); `false` undoes it.
   * @example
   * for (const [, m] of model.namedModules()) if (m instanceof BatchNorm2d) m.freezeStatistics();
   */
  freezeStatistics(frozen = true): this {
    if (frozen && this.runningMean === null) {
      throw new Error(`${this.layerName}: cannot freeze statistics of a layer without running statistics`);
    }
    this.frozenStats = frozen;
    return this;
  }

  /** Checks the input's rank; throws naming the layer and the shape. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.layerName}: input has ${x.shape[1]} channels (shape [${x.shape.join(', ')}]), expected ${this.numFeatures}`);
    }
    const useBatchStats = (this.training && !this.frozenStats) || this.runningMean === null;
    let factor = this.momentum ?? 0;
    if (this.training && !this.frozenStats && this.numBatchesTracked !== null) {
      const count = countBatch(this.numBatchesTracked);
      if (this.momentum === null) factor = 1 / count();
    }
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatchStats, momentum: this.runningMean !== null && useBatchStats ? factor : 0, eps: this.eps,
    });
  }
}

/**
 * Batch norm over (N, C) or (N, C, L).
 * @example
 * new BatchNorm1d(128).forward(features);
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly layerName = 'BatchNorm1d';

  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected (N, C) or (N, C, L) input, got shape [${x.shape.join(', ')}]`);
  }
}

/**
 * Batch norm over (N, C, H, W).
 * @example
 * const bn = new BatchNorm2d(16); bn.forward(conv.forward(x));
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly layerName = 'BatchNorm2d';

  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected (N, C, H, W) input, got shape [${x.shape.join(', ')}]`);
  }
}

/**
 * Freezes (or unfreezes) the statistics of every batch norm layer in `module`: training mode then
 * normalises with the running statistics and leaves them as they are. Returns how many layers changed.
 * @example
 * model.freeze(['conv1', 'bn1', 'layer1']);
 * freezeBatchNormStatistics(model); // small fine-tuning batches keep the pretrained statistics
 */
export function freezeBatchNormStatistics(module: Module<never, unknown>, frozen = true): number {
  let count = 0;
  for (const [, m] of module.namedModules()) {
    if (m instanceof BatchNormBase && m.runningMean !== null) {
      m.freezeStatistics(frozen);
      count++;
    }
  }
  return count;
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  eps?: number;
  /** Learn a scale and shift of the normalised shape (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Normalises over the trailing dims `normalizedShape`: x (..., D) -> y (..., D); weight 1, bias 0.
 * @example
 * new LayerNorm([64]).forward(tokens); // (N, T, 64)
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkSize('LayerNorm', 'normalizedShape', d);
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', constant_(zerosKept(this.normalizedShape), 1)) : this.registerParameter('weight', null);
    this.bias = affine ? this.registerParameter('bias', zerosKept(this.normalizedShape)) : this.registerParameter('bias', null);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
