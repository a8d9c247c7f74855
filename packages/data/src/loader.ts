/**
 * The batch loader: seeded shuffling, batching, drop-last, and preparation of the next batches in
 * worker threads with a bounded queue. Every random draw comes from (seed, epoch, dataset index), so the
 * same seed gives the same batches whatever the number of workers (0 = prepare on the main thread).
 */
import { packItems, stack, transformItems } from './batch.js';
import { permutation, Rng } from './random.js';
import { isPortable } from './transforms/compose.js';
import type { Transform } from './transforms/types.js';
import type { Batch, Dataset, UnlabelledBatch, UnlabelledDataset, UnlabelledSample } from './types.js';
import { WorkerPool } from './worker-pool.js';

/** Options of {@link DataLoader}. */
export interface LoaderOptions {
  batchSize: number;
  /** Reshuffle every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the shuffles and of every augmentation (default 0). */
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  transform?: Transform;
  /** Worker threads preparing batches (default 0: on the main thread). */
  workers?: number;
  /** Batches prepared ahead of the consumer, at most (default 2 per worker). */
  prefetch?: number;
}

function isLabelled(dataset: Dataset | UnlabelledDataset): dataset is Dataset {
  return typeof (dataset as Dataset).label === 'function';
}

function checkOptions(options: LoaderOptions): void {
  const { batchSize, workers = 0, prefetch, seed = 0 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`DataLoader: workers must be a non-negative integer, got ${workers}`);
  if (prefetch !== undefined && (!Number.isInteger(prefetch) || prefetch < 1)) throw new Error(`DataLoader: prefetch must be a positive integer, got ${prefetch}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`DataLoader: seed must be a safe integer, got ${seed}`);
  if (workers > 0 && options.transform && !isPortable(options.transform.spec)) {
    throw new Error('DataLoader: a custom (function) transform cannot run in worker threads; use workers: 0 or built-in transforms');
  }
}

/**
 * Iterates a dataset in batches. `for await (const b of loader)` runs the next epoch each time;
 * `loader.epoch(e)` runs epoch e. Call `close()` when done to stop the worker threads (an idle loader
 * never keeps the process alive).
 * @example
 * const loader = new DataLoader(train, { batchSize: 128, shuffle: true, seed: 0, workers: 2,
 *   transform: compose(randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat()) });
 * for await (const { images, shape, labels } of loader) { ... } // images: Float32Array [128, 1, 28, 28]
 * await loader.close();
 */
export class DataLoader<B extends UnlabelledBatch = Batch> implements AsyncIterable<B> {
  readonly dataset: Dataset | UnlabelledDataset;
  private readonly options: Required<Omit<LoaderOptions, 'transform'>> & { transform?: Transform };
  private pool: WorkerPool | undefined;
  private nextEpoch = 0;

  constructor(dataset: Dataset | UnlabelledDataset, options: LoaderOptions) {
    checkOptions(options);
    this.dataset = dataset;
    const workers = options.workers ?? 0;
    this.options = {
      batchSize: options.batchSize, shuffle: options.shuffle ?? false, seed: options.seed ?? 0,
      dropLast: options.dropLast ?? false, workers, prefetch: options.prefetch ?? 2 * Math.max(1, workers),
      transform: options.transform,
    };
  }

  /** Batches per epoch. */
  get length(): number {
    const { batchSize, dropLast } = this.options;
    const n = this.dataset.length;
    return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  }

  /** The dataset indices of each batch of epoch `e`, in order. */
  batchIndices(e: number): Int32Array[] {
    const n = this.dataset.length;
    const order = this.options.shuffle ? permutation(n, new Rng(this.options.seed, e, 0x5f)) : Int32Array.from({ length: n }, (_, i) => i);
    const batches: Int32Array[] = [];
    for (let b = 0; b < this.length; b++) batches.push(order.slice(b * this.options.batchSize, Math.min(n, (b + 1) * this.options.batchSize)));
    return batches;
  }

  [Symbol.asyncIterator](): AsyncGenerator<B> {
    return this.epoch(this.nextEpoch++);
  }

  /**
   * The batches of epoch `e` (deterministic in seed and e).
   * @example
   * for await (const batch of loader.epoch(3)) train(batch);
   */
  async *epoch(e: number): AsyncGenerator<B> {
    if (!Number.isSafeInteger(e) || e < 0) throw new Error(`DataLoader: epoch must be a non-negative integer, got ${e}`);
    const batches = this.batchIndices(e);
    const queue: Promise<B>[] = [];
    let submitted = 0;
    const submit = (): void => {
      const p = this.prepare(batches[submitted] as Int32Array, e);
      p.catch(() => undefined); // observed when its turn comes; this only keeps an abandoned one quiet
      queue.push(p);
      submitted++;
    };
    while (submitted < batches.length && queue.length < this.options.prefetch) submit();
    while (queue.length > 0) {
      const next = queue.shift() as Promise<B>;
      if (submitted < batches.length) submit();
      yield await next;
    }
  }

  private labelsOf(indices: Int32Array): Int32Array | undefined {
    const ds = this.dataset;
    return isLabelled(ds) ? Int32Array.from(indices, (i) => ds.label(i)) : undefined;
  }

  private async prepare(indices: Int32Array, e: number): Promise<B> {
    const { transform, seed, workers } = this.options;
    const labels = this.labelsOf(indices);
    const raw: UnlabelledSample[] = [];
    for (const i of indices) {
      const { image, shape } = this.dataset.get(i);
      raw.push({ image, shape });
    }
    let stacked: { images: Uint8Array | Float32Array; shape: number[] };
    if (workers === 0) {
      stacked = stack(transformItems(raw, indices, transform, seed, e), indices);
    } else {
      this.pool ??= new WorkerPool(workers, transform ? transform.spec : null);
      stacked = await this.pool.run({ seed, epoch: e, indices: indices.slice(), items: packItems(raw) });
    }
    const batch = labels ? { ...stacked, labels, indices } : { ...stacked, indices };
    return batch as unknown as B;
  }

  /**
   * Stops the worker threads. The loader can be iterated again afterwards (new workers start).
   * @example
   * await loader.close();
   */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.close();
  }
}

/**
 * A loader over a labelled dataset (batches carry labels) or an unlabelled one (they do not).
 * @example
 * const poolLoader = createLoader(pool, { batchSize: 256 }); // DataLoader<UnlabelledBatch>
 */
export function createLoader(dataset: Dataset, options: LoaderOptions): DataLoader<Batch>;
export function createLoader(dataset: UnlabelledDataset, options: LoaderOptions): DataLoader<UnlabelledBatch>;
export function createLoader(dataset: Dataset | UnlabelledDataset, options: LoaderOptions): DataLoader<Batch> | DataLoader<UnlabelledBatch> {
  return isLabelled(dataset) ? new DataLoader<Batch>(dataset, options) : new DataLoader<UnlabelledBatch>(dataset, options);
}
