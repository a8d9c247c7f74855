/**
 * In-memory datasets and views over datasets: {@link TensorDataset}, {@link Subset}, {@link concat},
 * {@link filterClasses}, {@link remapLabels} and {@link classCounts}. Views never copy images.
 */
import { checkIndex, shapeSize, type Dataset, type ImageArray, type Sample } from './types.js';

/** Options of {@link TensorDataset}. */
export interface TensorDatasetOptions {
  classNames?: readonly string[];
  /** Used in error messages (e.g. the file it came from). */
  name?: string;
}

/**
 * A dataset held in two arrays: `images` of `shape = [n, ...itemShape]` and `labels` of length n.
 * `get(i)` returns a view into `images` (no copy); transforms never write into their input.
 * @example
 * const ds = new TensorDataset(new Uint8Array(3 * 784), [3, 1, 28, 28], Int32Array.from([0, 1, 2]));
 * ds.get(2).shape; // [1, 28, 28]
 */
export class TensorDataset implements Dataset {
  readonly images: ImageArray;
  readonly labels: Int32Array;
  /** `[n, ...itemShape]`. */
  readonly shape: readonly number[];
  readonly itemShape: readonly number[];
  readonly classNames?: readonly string[];
  readonly name: string;
  private readonly itemSize: number;

  constructor(images: ImageArray, shape: readonly number[], labels: Int32Array, options: TensorDatasetOptions = {}) {
    this.name = options.name ?? 'TensorDataset';
    if (shape.length < 2 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`${this.name}: shape must be [n, ...itemShape] of non-negative integers, got [${shape.join(', ')}]`);
    }
    if (images.length !== shapeSize(shape)) {
      throw new Error(`${this.name}: images has ${images.length} elements but shape [${shape.join(', ')}] needs ${shapeSize(shape)}`);
    }
    if (labels.length !== shape[0]) {
      throw new Error(`${this.name}: ${shape[0]} images but ${labels.length} labels (shape [${shape.join(', ')}])`);
    }
    this.images = images;
    this.labels = labels;
    this.shape = [...shape];
    this.itemShape = shape.slice(1);
    this.itemSize = shapeSize(this.itemShape);
    if (options.classNames) this.classNames = [...options.classNames];
  }

  get length(): number {
    return this.labels.length;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, this.name);
    const image = this.images.subarray(index * this.itemSize, (index + 1) * this.itemSize);
    return { image, shape: this.itemShape, label: this.labels[index] as number };
  }

  label(index: number): number {
    checkIndex(index, this.length, this.name);
    return this.labels[index] as number;
  }
}

/**
 * The items of `dataset` at `indices`, in that order (indices may repeat).
 * @example
 * const firstTen = new Subset(ds, Array.from({ length: 10 }, (_, i) => i));
 */
export class Subset implements Dataset {
  readonly dataset: Dataset;
  readonly indices: Int32Array;

  constructor(dataset: Dataset, indices: ArrayLike<number>) {
    this.dataset = dataset;
    this.indices = Int32Array.from(indices);
    for (let i = 0; i < this.indices.length; i++) {
      const j = indices[i] as number;
      if (!Number.isInteger(j) || j < 0 || j >= dataset.length) {
        throw new RangeError(`Subset: indices[${i}] = ${j} is out of range for a dataset of length ${dataset.length}`);
      }
    }
  }

  get length(): number {
    return this.indices.length;
  }

  get classNames(): readonly string[] | undefined {
    return this.dataset.classNames;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, 'Subset');
    return this.dataset.get(this.indices[index] as number);
  }

  label(index: number): number {
    checkIndex(index, this.length, 'Subset');
    return this.dataset.label(this.indices[index] as number);
  }
}

/** The datasets of {@link concat}, one after the other. */
class ConcatDataset implements Dataset {
  readonly parts: readonly Dataset[];
  readonly classNames?: readonly string[];
  private readonly starts: number[];
  readonly length: number;

  constructor(parts: readonly Dataset[]) {
    this.parts = [...parts];
    this.starts = [];
    let total = 0;
    for (const part of parts) {
      this.starts.push(total);
      total += part.length;
    }
    this.length = total;
    if (parts[0]?.classNames) this.classNames = parts[0].classNames;
  }

  private locate(index: number): [Dataset, number] {
    checkIndex(index, this.length, 'concat');
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty parts that share a start with the one holding the index.
    while ((this.parts[lo] as Dataset).length <= index - (this.starts[lo] as number)) lo++;
    return [this.parts[lo] as Dataset, index - (this.starts[lo] as number)];
  }

  get(index: number): Sample {
    const [part, i] = this.locate(index);
    return part.get(i);
  }

  label(index: number): number {
    const [part, i] = this.locate(index);
    return part.label(i);
  }
}

/**
 * The datasets one after the other, as one dataset.
 * @example
 * const all = concat(trainSet, extraSet);
 */
export function concat(...datasets: Dataset[]): Dataset {
  return new ConcatDataset(datasets);
}

/**
 * The items whose label is one of `classes`, in their original order (labels unchanged; see
 * {@link remapLabels} or the `remap` option to renumber them 0..classes.length-1).
 * @example
 * const target = filterClasses(train, [5, 6, 7, 8, 9], { remap: true }); // labels 0..4
 */
export function filterClasses(dataset: Dataset, classes: readonly number[], options: { remap?: boolean } = {}): Dataset {
  const wanted = new Set(classes);
  if (wanted.size !== classes.length) throw new Error(`filterClasses: classes [${classes.join(', ')}] has repeats`);
  const indices: number[] = [];
  for (let i = 0; i < dataset.length; i++) if (wanted.has(dataset.label(i))) indices.push(i);
  const subset = new Subset(dataset, indices);
  if (!options.remap) return subset;
  const mapping = new Map<number, number>(classes.map((c, j) => [c, j]));
  const names = dataset.classNames;
  return remapLabels(subset, mapping, names ? classes.map((c) => names[c] ?? String(c)) : undefined);
}

/** Labels renamed by a map; see {@link remapLabels}. */
class RemappedDataset implements Dataset {
  constructor(
    readonly dataset: Dataset,
    private readonly mapping: ReadonlyMap<number, number>,
    readonly classNames?: readonly string[],
  ) {}

  get length(): number {
    return this.dataset.length;
  }

  private map(label: number, index: number): number {
    const to = this.mapping.get(label);
    if (to === undefined) throw new Error(`remapLabels: item ${index} has label ${label}, which the mapping does not cover`);
    return to;
  }

  get(index: number): Sample {
    const sample = this.dataset.get(index);
    return { image: sample.image, shape: sample.shape, label: this.map(sample.label, index) };
  }

  label(index: number): number {
    return this.map(this.dataset.label(index), index);
  }
}

/**
 * The same items with labels renamed: `mapping` is a Map, a record, or an array where `mapping[old] = new`.
 * Every label that occurs must be covered (checked here, once).
 * @example
 * const target = remapLabels(filterClasses(train, [5, 6, 7, 8, 9]), { 5: 0, 6: 1, 7: 2, 8: 3, 9: 4 });
 */
export function remapLabels(
  dataset: Dataset,
  mapping: ReadonlyMap<number, number> | Readonly<Record<number, number>> | readonly number[],
  classNames?: readonly string[],
): Dataset {
  const map = new Map<number, number>();
  if (mapping instanceof Map) for (const [k, v] of mapping) map.set(k, v);
  else if (Array.isArray(mapping)) mapping.forEach((v: number, k: number) => map.set(k, v));
  else for (const [k, v] of Object.entries(mapping)) map.set(Number(k), v as number);
  for (const [k, v] of map) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`remapLabels: label ${k} maps to ${v}, not a class index`);
  }
  const remapped = new RemappedDataset(dataset, map, classNames);
  for (let i = 0; i < dataset.length; i++) remapped.label(i);
  return remapped;
}

/**
 * Number of items of each class, indexed by label (length = numClasses, or max label + 1).
 * @example
 * classCounts(ds, 10); // [6000, 6000, ...]
 */
export function classCounts(dataset: Dataset, numClasses?: number): number[] {
  const counts: number[] = numClasses === undefined ? [] : new Array<number>(numClasses).fill(0);
  for (let i = 0; i < dataset.length; i++) {
    const label = dataset.label(i);
    if (!Number.isInteger(label) || label < 0 || (numClasses !== undefined && label >= numClasses)) {
      throw new Error(`classCounts: item ${i} has label ${label}, not a class in [0, ${numClasses ?? 'inf'})`);
    }
    while (counts.length <= label) counts.push(0);
    counts[label] = (counts[label] as number) + 1;
  }
  return counts;
}
