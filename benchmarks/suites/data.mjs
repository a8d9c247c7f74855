/**
 * Data suite: (1) Fashion-MNIST 28x28 uint8 images through the DataLoader with random crop (padding 2),
 * horizontal flip and toFloat, batch 256, with 0, 1 and 2 worker threads (one epoch per timed call);
 * (2) decoding a folder of 224x224 RGB JPEGs (generated into a temp folder, 2 classes) with imageFolder()
 * (8 decodes in flight on libuv's thread pool; the workers column says 8).
 * Reports images/s. Uses the full training set from Debian's dataset-fashion-mnist when installed,
 * else the bundled subset. Needs the built package (`npx nx run-many -t build` or `tsc -p packages/data`).
 *
 * @example
 * // npm run bench -- data --json
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as data from '../../packages/data/dist/index.js';
import { measure } from '../lib/timing.mjs';
import { progress } from '../lib/report.mjs';

/** Columns of the table, in order. */
export const columns = ['name', 'dataset', 'images', 'workers', 'seconds', 'images_per_s'];

const jpegCount = 256;

async function loaderRows(repeat) {
  const full = existsSync(data.DEBIAN_FASHION_MNIST_DIR);
  const train = await data.fashionMnist({ split: 'train', bundled: !full });
  const dataset = full ? 'fashion-mnist train (60,000)' : 'bundled subset (12,500)';
  const transform = data.compose(data.randomCrop(28, { padding: 2 }), data.horizontalFlip(), data.toFloat());
  const rows = [];
  for (const workers of [0, 1, 2]) {
    progress(`data: loader, ${workers} workers`);
    const loader = new data.DataLoader(train, { batchSize: 256, shuffle: true, seed: 0, workers, transform });
    let epoch = 0;
    const { seconds } = await measure(async () => {
      let n = 0;
      for await (const batch of loader.epoch(epoch++)) n += batch.shape[0];
      if (n !== train.length) throw new Error(`data bench: loader gave ${n} images, expected ${train.length}`);
    }, { warmup: 1, repeat, minSeconds: 0 });
    await loader.close();
    rows.push({ name: `loader crop+flip workers=${workers}`, dataset, images: train.length, workers, seconds, images_per_s: train.length / seconds });
  }
  return rows;
}

async function makeJpegs(dir) {
  for (const cls of ['a', 'b']) mkdirSync(join(dir, cls));
  const w = 224;
  const h = 224;
  for (let k = 0; k < jpegCount; k++) {
    const rgb = Buffer.alloc(w * h * 3);
    let s = k + 1;
    for (let p = 0; p < w * h; p++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      const i = Math.floor(p / w);
      const j = p % w;
      rgb[3 * p] = (i + k) & 255;
      rgb[3 * p + 1] = (j * 2) & 255;
      rgb[3 * p + 2] = s >>> 24; // noise, so the JPEG is not trivially compressible
    }
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(dir, k % 2 ? 'b' : 'a', `${k}.jpg`));
  }
}

async function jpegRows(repeat) {
  const dir = mkdtempSync(join(tmpdir(), 'graft-bench-jpeg-'));
  try {
    progress(`data: writing ${jpegCount} 224x224 JPEGs`);
    await makeJpegs(dir);
    progress('data: decoding the folder');
    const { seconds } = await measure(async () => {
      const ds = await data.imageFolder(dir, { channels: 3 });
      if (ds.length !== jpegCount) throw new Error(`data bench: decoded ${ds.length} images, expected ${jpegCount}`);
    }, { warmup: 1, repeat, minSeconds: 0 });
    return [{ name: 'decode jpeg 224x224 (sharp)', dataset: `${jpegCount} generated JPEGs`, images: jpegCount, workers: 8, seconds, images_per_s: jpegCount / seconds }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the suite.
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'data', json: true, device: 'cpu' });
 */
export async function run(opts) {
  const repeat = opts?.repeat ?? 3;
  const results = [...(await loaderRows(repeat)), ...(await jpegRows(repeat))];
  return { columns, results };
}
