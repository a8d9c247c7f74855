import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataLoader, compose, createLoader, customTransform, horizontalFlip, randAugment, randomCrop, randomErasing, sampleKPerClass,
  toFloat, type Batch, type UnlabelledBatch,
} from '@graft/data';
import { randomImages } from './helpers.js';

const ds = randomImages(101, [1, 28, 28], 10, 11); // 101 is prime: no batch size below divides it
const augment = compose(randAugment({ n: 2, m: 9 }), randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat(), randomErasing({ p: 0.25 }));
const open: DataLoader<Batch | UnlabelledBatch>[] = [];
afterAll(async () => {
  for (const l of open) await l.close();
});

/** Byte-exact comparison (vitest's deep equality is slow on large typed arrays). */
function bytes(b: UnlabelledBatch): string {
  const labels = 'labels' in b ? [...(b as Batch).labels] : [];
  const img = Buffer.from(b.images.buffer, b.images.byteOffset, b.images.byteLength);
  return `${b.images.constructor.name} ${b.shape.join('x')} ${[...b.indices].join(',')} ${labels.join(',')} ${img.toString('base64')}`;
}

async function collect<B extends UnlabelledBatch>(loader: DataLoader<B>, epoch: number): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

describe('DataLoader', () => {
  it('batches in order with the last batch short, or dropped', async () => {
    const batches = await collect(new DataLoader(ds, { batchSize: 32 }), 0);
    expect(batches.map((b) => b.labels.length)).toEqual([32, 32, 32, 5]);
    expect(batches[3]?.shape).toEqual([5, 1, 28, 28]);
    expect(batches[3]?.images).toBeInstanceOf(Uint8Array);
    expect([...(batches[1]?.indices ?? [])].slice(0, 3)).toEqual([32, 33, 34]);
    expect([...(batches[0]?.images.subarray(784, 1568) ?? [])]).toEqual([...ds.get(1).image]);
    const dropped = new DataLoader(ds, { batchSize: 32, dropLast: true });
    expect(dropped.length).toBe(3);
    expect((await collect(dropped, 0)).length).toBe(3);
    expect((await collect(new DataLoader(randomImages(0, [1, 2, 2], 1, 0), { batchSize: 4 }), 0)).length).toBe(0);
  });

  it('shuffles with the seed: a permutation per epoch, the same for the same (seed, epoch)', async () => {
    const loader = new DataLoader(ds, { batchSize: 50, shuffle: true, seed: 3 });
    const e0 = (await collect(loader, 0)).flatMap((b) => [...b.indices]);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    expect((await collect(loader, 0)).flatMap((b) => [...b.indices])).toEqual(e0);
    expect((await collect(loader, 1)).flatMap((b) => [...b.indices])).not.toEqual(e0);
    const labels = (await collect(loader, 0)).flatMap((b) => [...b.labels]);
    expect(labels).toEqual(e0.map((i) => ds.label(i)));
  });

  it('0, 1 and 2 workers give identical batches (augmentations drawn per seed, epoch and index)', async () => {
    const runs: Batch[][] = [];
    for (const workers of [0, 1, 2]) {
      const loader = new DataLoader(ds, { batchSize: 17, shuffle: true, seed: 9, workers, transform: augment, prefetch: 3 });
      open.push(loader);
      runs.push([...(await collect(loader, 0)), ...(await collect(loader, 4))]);
      await loader.close();
    }
    const [a, b, c] = runs as [Batch[], Batch[], Batch[]];
    expect(a.length).toBe(2 * 6);
    expect(a[0]?.images).toBeInstanceOf(Float32Array);
    for (let k = 0; k < a.length; k++) {
      expect(bytes(b[k] as Batch) === bytes(a[k] as Batch)).toBe(true);
      expect(bytes(c[k] as Batch) === bytes(a[k] as Batch)).toBe(true);
    }
    // Augmentation differs between epochs for the same item.
    expect(bytes(a[0] as Batch) === bytes(a[6] as Batch)).toBe(false);
  });

  it('iterating the loader runs epoch 0, 1, ... and an early break leaves it usable', async () => {
    const loader = new DataLoader(ds, { batchSize: 64, shuffle: true, seed: 1, workers: 2, transform: augment });
    open.push(loader);
    for await (const batch of loader) {
      expect(batch.shape[0]).toBe(64);
      break;
    }
    const second: Batch[] = [];
    for await (const batch of loader) second.push(batch);
    expect(second.map((b) => [...b.indices])).toEqual((await collect(new DataLoader(ds, { batchSize: 64, shuffle: true, seed: 1 }), 1)).map((b) => [...b.indices]));
    await loader.close();
  });

  it('loads an unlabelled pool without labels', async () => {
    const { pool } = sampleKPerClass(ds, 2, 0);
    const loader = createLoader(pool, { batchSize: 50, workers: 1, transform: toFloat() });
    open.push(loader);
    const batches = await collect(loader, 0);
    expect(batches.map((b) => b.shape[0])).toEqual([50, 31]);
    expect('labels' in (batches[0] as object)).toBe(false);
    await loader.close();
  });

  it('reports bad options, custom transforms with workers, and errors raised while preparing a batch', async () => {
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(ds, { batchSize: 4, workers: -1 })).toThrow(/workers must be a non-negative integer/);
    const custom = customTransform('invert', (x) => ({ image: x.image.map((v) => 255 - v), shape: x.shape }));
    expect(() => new DataLoader(ds, { batchSize: 4, workers: 1, transform: custom })).toThrow(/custom \(function\) transform cannot run in worker threads/);
    expect((await collect(new DataLoader(ds, { batchSize: 4, transform: custom }), 0))[0]?.images[0]).toBe(255 - (ds.images[0] as number));
    // Mixed item shapes in one batch, raised inside a worker thread.
    const mixed = new DataLoader(ds, { batchSize: 8, workers: 1, transform: compose(randomCrop(20, { width: 20 }), randAugment()) });
    open.push(mixed);
    const ok = await collect(mixed, 0);
    expect(ok[0]?.shape).toEqual([8, 1, 20, 20]);
    const bad = new DataLoader(ds, { batchSize: 8, workers: 1, transform: compose(toFloat(), randAugment()) });
    open.push(bad);
    await expect(collect(bad, 0)).rejects.toThrow(/randAugment: expects uint8 images/);
    await bad.close();
    await mixed.close();
  });

  it('a process that never closes its loader still exits (idle workers do not hold it)', () => {
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const hooks = fileURLToPath(new URL('../dev/register-ts.mjs', import.meta.url));
    const script = `
      const d = await import(${JSON.stringify(src)});
      const images = new Uint8Array(300 * 784);
      const ds = new d.TensorDataset(images, [300, 1, 28, 28], new Int32Array(300));
      const loader = new d.DataLoader(ds, { batchSize: 10, workers: 2, shuffle: true, transform: d.compose(d.horizontalFlip(), d.toFloat()) });
      let n = 0;
      for await (const b of loader) { n += b.shape[0]; if (n >= 50) break; }
      console.log('consumed', n);`;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('consumed 50');
    expect(child.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
