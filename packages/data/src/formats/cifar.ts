/**
 * CIFAR-10 and CIFAR-100 binary batches. A CIFAR-10 record is 1 label byte + 3072 pixel bytes
 * (x (C=3,H=32,W=32), C order); a CIFAR-100 record is a coarse label byte, a fine label byte, then the pixels.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TensorDataset } from '../dataset.js';
import { readMaybeGzip } from './files.js';

const PIXELS = 3 * 32 * 32;

/** Which labels a CIFAR batch holds. */
export type CifarKind = 'cifar10' | 'cifar100-fine' | 'cifar100-coarse';

/**
 * Reads CIFAR binary batch files into one dataset of uint8 `[n, 3, 32, 32]` images.
 * @example
 * const train = await readCifarBatches(['data_batch_1.bin'], 'cifar10');
 */
export async function readCifarBatches(files: readonly string[], kind: CifarKind, classNames?: readonly string[]): Promise<TensorDataset> {
  const labelBytes = kind === 'cifar10' ? 1 : 2;
  const record = labelBytes + PIXELS;
  const buffers = await Promise.all(files.map((f) => readMaybeGzip(f, 'readCifarBatches')));
  let n = 0;
  buffers.forEach((buf, i) => {
    if (buf.length === 0 || buf.length % record !== 0) {
      throw new Error(`readCifarBatches: ${files[i]} has ${buf.length} bytes, not a whole number of ${kind} records of ${record} bytes (truncated or not a ${kind} batch)`);
    }
    n += buf.length / record;
  });
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  const maxLabel = kind === 'cifar10' ? 10 : kind === 'cifar100-fine' ? 100 : 20;
  let item = 0;
  buffers.forEach((buf, f) => {
    for (let off = 0; off < buf.length; off += record, item++) {
      const label = buf[off + (kind === 'cifar100-fine' ? 1 : 0)] as number;
      if (label >= maxLabel) {
        throw new Error(`readCifarBatches: ${files[f]} record ${off / record} has label ${label}, outside [0, ${maxLabel}) for ${kind}`);
      }
      labels[item] = label;
      images.set(buf.subarray(off + labelBytes, off + record), item * PIXELS);
    }
  });
  return new TensorDataset(images, [n, 3, 32, 32], labels, { classNames, name: files.join(', ') });
}

async function namesFrom(file: string): Promise<string[] | undefined> {
  if (!existsSync(file)) return undefined;
  const names = (await readFile(file, 'utf8')).split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return names.length > 0 ? names : undefined;
}

/**
 * CIFAR-10 from the folder of the binary version (`cifar-10-batches-bin`: data_batch_1..5.bin, test_batch.bin,
 * batches.meta.txt).
 * @example
 * const test = await cifar10({ split: 'test', dir: '/data/cifar-10-batches-bin' });
 */
export async function cifar10(options: { split: 'train' | 'test'; dir: string }): Promise<TensorDataset> {
  const files = options.split === 'train'
    ? [1, 2, 3, 4, 5].map((i) => join(options.dir, `data_batch_${i}.bin`))
    : [join(options.dir, 'test_batch.bin')];
  return readCifarBatches(files, 'cifar10', await namesFrom(join(options.dir, 'batches.meta.txt')));
}

/**
 * CIFAR-100 from the folder of the binary version (`cifar-100-binary`: train.bin, test.bin,
 * fine_label_names.txt, coarse_label_names.txt); `labels` picks the 100 fine or 20 coarse classes.
 * @example
 * const train = await cifar100({ split: 'train', dir: '/data/cifar-100-binary', labels: 'coarse' });
 */
export async function cifar100(options: { split: 'train' | 'test'; dir: string; labels?: 'fine' | 'coarse' }): Promise<TensorDataset> {
  const labels = options.labels ?? 'fine';
  const file = join(options.dir, options.split === 'train' ? 'train.bin' : 'test.bin');
  const names = await namesFrom(join(options.dir, `${labels}_label_names.txt`));
  return readCifarBatches([file], labels === 'fine' ? 'cifar100-fine' : 'cifar100-coarse', names);
}
