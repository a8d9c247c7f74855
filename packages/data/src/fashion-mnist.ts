/**
 * Fashion-MNIST (Zalando, MIT licence): 60,000 + 10,000 greyscale 28x28 images of 10 clothing classes, as
 * four IDX files. Read from a folder the caller names, Debian's `dataset-fashion-mnist` folder, or the
 * seeded demo subset bundled with this package (see assets/fashion-mnist-subset/README.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TensorDataset } from './dataset.js';
import { idxDataset } from './formats/idx.js';

/** Class names, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/**
 * Mean of the 60,000 training images' pixels scaled to [0, 1] (47,040,000 pixels: 0.28604060).
 * @example
 * normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD);
 */
export const FASHION_MNIST_MEAN: readonly number[] = [0.2860406];
/**
 * Population standard deviation of the same pixels (0.35302424).
 * @example
 * normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD);
 */
export const FASHION_MNIST_STD: readonly number[] = [0.3530242];

/**
 * Where Debian's `dataset-fashion-mnist` installs the four IDX .gz files.
 * @example
 * await fashionMnist({ split: 'test', dir: DEBIAN_FASHION_MNIST_DIR });
 */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * The folder of the bundled demo subset.
 * @example
 * await fashionMnist({ split: 'train', dir: BUNDLED_FASHION_MNIST_DIR });
 */
export const BUNDLED_FASHION_MNIST_DIR: string = fileURLToPath(new URL('../assets/fashion-mnist-subset/', import.meta.url));

/** Options of {@link fashionMnist}. */
export interface FashionMnistOptions {
  split: 'train' | 'test';
  /** Folder holding the IDX files (gzipped or not, standard names). */
  dir?: string;
  /** Read the bundled demo subset (ignored when `dir` is given). */
  bundled?: boolean;
}

function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`fashionMnist: ${join(dir, base)}(.gz) not found`);
}

/**
 * Fashion-MNIST as uint8 `[n, 1, 28, 28]` images and labels 0-9. Without `dir` or `bundled`, reads
 * $GRAFT_FASHION_MNIST_DIR, else Debian's folder.
 * @example
 * const train = await fashionMnist({ split: 'train', bundled: true });
 * const test = await fashionMnist({ split: 'test' }); // the full 10,000 from /usr/share/datasets/fashion-mnist
 */
export async function fashionMnist(options: FashionMnistOptions): Promise<TensorDataset> {
  if (options.split !== 'train' && options.split !== 'test') {
    throw new Error(`fashionMnist: split must be 'train' or 'test', got '${String(options.split)}'`);
  }
  const dir = options.dir ?? (options.bundled ? BUNDLED_FASHION_MNIST_DIR : process.env['GRAFT_FASHION_MNIST_DIR'] ?? DEBIAN_FASHION_MNIST_DIR);
  if (!existsSync(dir)) {
    throw new Error(`fashionMnist: folder ${dir} not found; install Debian's dataset-fashion-mnist, pass { dir }, or pass { bundled: true } for the demo subset`);
  }
  const prefix = options.split === 'train' ? 'train' : 't10k';
  return idxDataset(findFile(dir, `${prefix}-images-idx3-ubyte`), findFile(dir, `${prefix}-labels-idx1-ubyte`), {
    classNames: FASHION_MNIST_CLASSES,
  });
}
