/**
 * The transfer task's data as the CLI builds it: Fashion-MNIST (bundled subset, Debian's full copy,
 * or a folder), target classes relabelled 0..n-1, K labels per class drawn with a seed, the other
 * target training images as the unlabelled pool, the target test images as the test set.
 */
import { existsSync, readdirSync } from 'node:fs';
import {
  DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, compose, fashionMnist, filterClasses,
  horizontalFlip, normalise, randomCrop, sampleKPerClass, toFloat, UnlabelledPool, type Dataset, type Transform,
} from '@graft/data';

/** Where the images come from. */
export interface DataSource {
  /** Read the full data set (Debian's folder unless `dataDir`). */
  full?: boolean;
  /** Folder with the four Fashion-MNIST IDX files (gzipped or not). */
  dataDir?: string;
}

/** The target task's splits. */
export interface TransferData {
  labelled: Dataset;
  pool: UnlabelledPool;
  test: Dataset;
  /** Names of the target classes, in label order. */
  classNames: string[];
  /** Human-readable origin of the images. */
  description: string;
}

/** Inputs normalised as in pre-training (the shipped weights expect this). */
export const EVAL_TRANSFORM: Transform = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));

/** Light augmentation for the few labelled images: the pre-training's crop and flip. */
export const TRAIN_TRANSFORM: Transform = compose(randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));

/**
 * Checks that a Fashion-MNIST folder holds the IDX files; the error says how to get them.
 * @example
 * requireFashionMnistDir('/usr/share/datasets/fashion-mnist');
 */
export function requireFashionMnistDir(dir: string): void {
  const how = `install Debian's package (apt-get install dataset-fashion-mnist, files in ${DEBIAN_FASHION_MNIST_DIR}) or pass --data-dir DIR with ` +
    'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz';
  if (!existsSync(dir)) throw new Error(`Fashion-MNIST folder ${dir} not found: ${how}`);
  const files = readdirSync(dir);
  for (const base of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    if (!files.includes(base) && !files.includes(`${base}.gz`)) throw new Error(`Fashion-MNIST folder ${dir} has no ${base}(.gz): ${how}`);
  }
}

/**
 * Reads one split of Fashion-MNIST from the source.
 * @example
 * const test = await loadFashionMnist('test', {}); // the bundled subset
 */
export async function loadFashionMnist(split: 'train' | 'test', source: DataSource): Promise<Dataset> {
  if (source.dataDir !== undefined || source.full) {
    const dir = source.dataDir ?? DEBIAN_FASHION_MNIST_DIR;
    requireFashionMnistDir(dir);
    return fashionMnist({ split, dir });
  }
  return fashionMnist({ split, bundled: true });
}

/**
 * Describes the source for reports.
 * @example
 * describeSource({}); // 'Fashion-MNIST, bundled subset (12,500 train / 3,000 test images)'
 */
export function describeSource(source: DataSource): string {
  if (source.dataDir !== undefined) return `Fashion-MNIST from ${source.dataDir}`;
  if (source.full) return `Fashion-MNIST, full (${DEBIAN_FASHION_MNIST_DIR})`;
  return 'Fashion-MNIST, bundled subset of the repository';
}

/** Options of {@link loadTransferData}. */
export interface TransferDataOptions extends DataSource {
  classes: readonly number[];
  labelsPerClass: number;
  seed: number;
  /** Keep only n pool images, evenly spaced (development and tests). */
  poolLimit?: number;
  /** Keep only n test images, evenly spaced (development and tests). */
  testLimit?: number;
}

/**
 * Builds the target task: labelled K per class, pool, test; labels remapped to 0..classes-1.
 * @example
 * const data = await loadTransferData({ classes: [5, 6, 7, 8, 9], labelsPerClass: 10, seed: 0 });
 */
export async function loadTransferData(o: TransferDataOptions): Promise<TransferData> {
  if (!Number.isInteger(o.labelsPerClass) || o.labelsPerClass < 1) {
    throw new Error(`loadTransferData: labelsPerClass must be an integer >= 1, got ${o.labelsPerClass}`);
  }
  const train = filterClasses(await loadFashionMnist('train', o), o.classes, { remap: true });
  let test = filterClasses(await loadFashionMnist('test', o), o.classes, { remap: true });
  const { labelled, pool: fullPool } = sampleKPerClass(train, o.labelsPerClass, o.seed);
  let pool = fullPool;
  if (o.poolLimit !== undefined && o.poolLimit < pool.length) {
    // Taken from the same target dataset so that ground truth stays reachable for the report.
    pool = new UnlabelledPool(train, evenlySpaced(fullPool.length, o.poolLimit).map((i) => fullPool.sourceIndices[i] as number));
  }
  if (o.testLimit !== undefined && o.testLimit < test.length) test = new Subset(test, evenlySpaced(test.length, o.testLimit));
  return {
    labelled, pool, test,
    classNames: o.classes.map((c) => FASHION_MNIST_CLASSES[c] ?? String(c)),
    description: describeSource(o),
  };
}

/** `count` indices spread over [0, n), so a reduced test set keeps every class. */
function evenlySpaced(n: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}

/** Help text on where the data comes from, shared by the commands' descriptions. */
export const DATA_DIR_NOTE = `Images: the bundled Fashion-MNIST subset by default; --full reads Debian's dataset-fashion-mnist (${DEBIAN_FASHION_MNIST_DIR}), --data-dir DIR another folder of the IDX files.`;
