/**
 * Embedding: a lookup table of vectors.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../ops/functional.js';
import { defaultGenerator, normal_, type Generator } from './init.js';
import { checkSize } from './linear.js';
import { Module, zerosKept } from './module.js';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /** This row stays zero and gets no gradient. */
  paddingIdx?: number;
  generator?: Generator;
}

/**
 * indices (...) int -> y (..., embeddingDim); weight (numEmbeddings, embeddingDim) ~ N(0, 1) as PyTorch.
 * @example
 * const emb = new Embedding(1000, 64);
 * emb.forward(tokenIds); // (N, T, 64)
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | undefined;
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = options.paddingIdx;
    if (pad !== undefined) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new Error(`Embedding: argument 'paddingIdx' ${pad} is out of range for ${numEmbeddings} embeddings`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = this.registerParameter('weight', zerosKept([numEmbeddings, embeddingDim]));
    this.resetParameters(options.generator);
  }

  /**
   * Re-draws N(0, 1) weights (the padding row zero).
   * @example
   * emb.resetParameters();
   */
  resetParameters(generator: Generator = defaultGenerator()): void {
    normal_(this.weight, 0, 1, generator);
    if (this.paddingIdx !== undefined) {
      this.weight.dataSync().fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
    }
  }

  forward(indices: Tensor): Tensor {
    const rows = F.embedding(this.weight, indices);
    if (this.paddingIdx === undefined) return rows;
    // Padding positions contribute no gradient to their (zero) row, as PyTorch's padding_idx.
    const keep = indices.float().ne(this.paddingIdx).unsqueeze(-1);
    const out = rows.mul(keep);
    rows.dispose();
    keep.dispose();
    return out;
  }
}
