/**
 * Seeded splits: K labelled items per class plus an unlabelled pool, train/validation splits, and the
 * conversions between labelled and unlabelled datasets that self-training needs.
 */
import { Subset } from './dataset.js';
import { Rng, shuffleInPlace } from './random.js';
import { checkIndex, type Dataset, type Sample, type UnlabelledDataset, type UnlabelledSample } from './types.js';

/** Indices of each class in dataset order, keyed by label. */
function indicesByClass(dataset: Dataset): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < dataset.length; i++) {
    const label = dataset.label(i);
    let list = byClass.get(label);
    if (!list) byClass.set(label, (list = []));
    list.push(i);
  }
  return byClass;
}

/**
 * Items of a labelled dataset with their labels withheld: `get(i)` returns the image only. The labels
 * stay reachable through {@link UnlabelledPool.groundTruthForAnalysis}, for scoring pseudo-labels
 * after the fact, never for training.
 * @example
 * const { pool } = sampleKPerClass(target, 10, 0);
 * pool.get(0); // { image, shape }, no label
 */
export class UnlabelledPool implements UnlabelledDataset {
  readonly #dataset: Dataset;
  /** Index of each pool item in the dataset it was taken from. */
  readonly sourceIndices: Int32Array;

  constructor(dataset: Dataset, indices: ArrayLike<number>) {
    this.#dataset = new Subset(dataset, indices);
    this.sourceIndices = Int32Array.from(indices);
  }

  get length(): number {
    return this.sourceIndices.length;
  }

  get(index: number): UnlabelledSample {
    checkIndex(index, this.length, 'UnlabelledPool');
    const { image, shape } = this.#dataset.get(index);
    return { image, shape };
  }

  /** The withheld labels, for analysis only (pseudo-label accuracy); training code must not read them. */
  groundTruthForAnalysis(): Int32Array {
    const labels = new Int32Array(this.length);
    for (let i = 0; i < labels.length; i++) labels[i] = this.#dataset.label(i);
    return labels;
  }
}

/** What {@link sampleKPerClass} returns. */
export interface KPerClassSplit {
  /** K items of each class, in dataset order. */
  labelled: Subset;
  /** Every other item, labels withheld, in dataset order. */
  pool: UnlabelledPool;
}

/**
 * Draws `k` labelled items per class with a seed; the rest become the unlabelled pool.
 * Throws when a class has fewer than `k` items.
 * @example
 * const { labelled, pool } = sampleKPerClass(target, 10, 0); // 10 labels per class
 */
export function sampleKPerClass(dataset: Dataset, k: number, seed: number): KPerClassSplit {
  if (!Number.isInteger(k) || k < 0) throw new Error(`sampleKPerClass: k must be a non-negative integer, got ${k}`);
  const byClass = indicesByClass(dataset);
  const chosen = new Uint8Array(dataset.length);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  for (const label of classes) {
    const list = byClass.get(label) as number[];
    if (list.length < k) {
      throw new Error(`sampleKPerClass: class ${label} has ${list.length} items, fewer than k = ${k}`);
    }
    const order = shuffleInPlace(Int32Array.from(list), new Rng(seed, label, 0x6b));
    for (let j = 0; j < k; j++) chosen[order[j] as number] = 1;
  }
  const labelled: number[] = [];
  const pool: number[] = [];
  for (let i = 0; i < dataset.length; i++) (chosen[i] ? labelled : pool).push(i);
  return { labelled: new Subset(dataset, labelled), pool: new UnlabelledPool(dataset, pool) };
}

/** Options of {@link trainValSplit}: the validation size as a fraction or a count. */
export interface TrainValOptions {
  /** Fraction of each class (stratified) or of the whole (not stratified) that goes to validation. */
  valFraction?: number;
  /** Exact validation size (not stratified). */
  valSize?: number;
  seed: number;
  /** Keep class proportions (default true; only with valFraction). */
  stratified?: boolean;
}

/**
 * A seeded train/validation split; both parts keep dataset order.
 * @example
 * const { train, val } = trainValSplit(ds, { valFraction: 0.1, seed: 0 });
 */
export function trainValSplit(dataset: Dataset, options: TrainValOptions): { train: Subset; val: Subset } {
  const { valFraction, valSize, seed } = options;
  if ((valFraction === undefined) === (valSize === undefined)) {
    throw new Error('trainValSplit: give exactly one of valFraction and valSize');
  }
  if (valFraction !== undefined && !(valFraction >= 0 && valFraction <= 1)) {
    throw new Error(`trainValSplit: valFraction must be in [0, 1], got ${valFraction}`);
  }
  if (valSize !== undefined && !(Number.isInteger(valSize) && valSize >= 0 && valSize <= dataset.length)) {
    throw new Error(`trainValSplit: valSize must be an integer in [0, ${dataset.length}], got ${valSize}`);
  }
  const isVal = new Uint8Array(dataset.length);
  if (valFraction !== undefined && (options.stratified ?? true)) {
    const byClass = indicesByClass(dataset);
    for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
      const list = byClass.get(label) as number[];
      const order = shuffleInPlace(Int32Array.from(list), new Rng(seed, label, 0x7a));
      const take = Math.round(list.length * valFraction);
      for (let j = 0; j < take; j++) isVal[order[j] as number] = 1;
    }
  } else {
    const order = shuffleInPlace(Int32Array.from({ length: dataset.length }, (_, i) => i), new Rng(seed, 0x7b));
    const take = valSize ?? Math.round(dataset.length * (valFraction as number));
    for (let j = 0; j < take; j++) isVal[order[j] as number] = 1;
  }
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < dataset.length; i++) (isVal[i] ? val : train).push(i);
  return { train: new Subset(dataset, train), val: new Subset(dataset, val) };
}

/** An unlabelled dataset given labels; see {@link withLabels}. */
class LabelledView implements Dataset {
  constructor(
    private readonly dataset: UnlabelledDataset,
    private readonly labels: Int32Array,
  ) {}

  get length(): number {
    return this.labels.length;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, 'withLabels');
    const { image, shape } = this.dataset.get(index);
    return { image, shape, label: this.labels[index] as number };
  }

  label(index: number): number {
    checkIndex(index, this.length, 'withLabels');
    return this.labels[index] as number;
  }
}

/**
 * Attaches labels (e.g. pseudo-labels) to an unlabelled dataset; combine with {@link Subset} to keep
 * only confident items.
 * @example
 * const pseudo = withLabels(pool, predictedLabels);
 */
export function withLabels(dataset: UnlabelledDataset, labels: ArrayLike<number>): Dataset {
  if (labels.length !== dataset.length) {
    throw new Error(`withLabels: dataset has ${dataset.length} items but ${labels.length} labels were given`);
  }
  const copy = Int32Array.from(labels);
  for (let i = 0; i < copy.length; i++) {
    if (copy[i] !== labels[i] || (copy[i] as number) < 0) throw new Error(`withLabels: labels[${i}] = ${labels[i]} is not a class index`);
  }
  return new LabelledView(dataset, copy);
}

/**
 * The images of a labelled dataset without their labels.
 * @example
 * const unlabelledTest = withoutLabels(test);
 */
export function withoutLabels(dataset: Dataset): UnlabelledDataset {
  return {
    get length() {
      return dataset.length;
    },
    get(index: number): UnlabelledSample {
      const { image, shape } = dataset.get(index);
      return { image, shape };
    },
  };
}
