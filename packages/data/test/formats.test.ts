import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_MEAN, FASHION_MNIST_STD, cifar10, cifar100, classCounts, csvDataset, fashionMnist,
  idxDataset, npyDataset, readIdx, readNpy,
} from '@graft/data';
import { idxBytes, npyBytes, tempDir } from './helpers.js';

const dir = tempDir('formats');
const write = (name: string, bytes: Uint8Array | string): string => {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
};

describe('IDX', () => {
  const pixels = Uint8Array.from({ length: 3 * 5 * 7 }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.of(2, 0, 9);

  it('reads raw and gzipped files the same, images as [n, 1, h, w]', async () => {
    const raw = await idxDataset(write('a-img', idxBytes([3, 5, 7], pixels)), write('a-lbl', idxBytes([3], labels)));
    const gz = await idxDataset(write('b-img.gz', gzipSync(idxBytes([3, 5, 7], pixels))), write('b-lbl.gz', gzipSync(idxBytes([3], labels))));
    for (const ds of [raw, gz]) {
      expect(ds.shape).toEqual([3, 1, 5, 7]);
      expect([...ds.labels]).toEqual([2, 0, 9]);
      expect([...ds.get(1).image]).toEqual([...pixels.subarray(35, 70)]);
    }
  });

  it('reads [n, h, w, c] images as [n, c, h, w] and wider types', async () => {
    const hwc = Uint8Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => i);
    const ds = await idxDataset(write('c-img', idxBytes([2, 2, 3, 3], hwc)), write('c-lbl', idxBytes([2], Uint8Array.of(1, 1))));
    expect(ds.shape).toEqual([2, 3, 2, 3]);
    // Channel 1 of item 0 holds hwc elements 1, 4, 7, ...
    expect([...ds.get(0).image.subarray(6, 12)]).toEqual([1, 4, 7, 10, 13, 16]);
    const be = Buffer.alloc(8);
    be.writeInt32BE(-5, 0);
    be.writeInt32BE(70000, 4);
    const t = await readIdx(write('i32', idxBytes([2], new Uint8Array(be), 0x0c)));
    expect(t.data).toEqual(Int32Array.of(-5, 70000));
  });

  it('rejects a wrong magic number, truncation, trailing bytes, corrupt gzip and count mismatch, naming the file', async () => {
    const good = idxBytes([3, 5, 7], pixels);
    const bad = Buffer.from(good);
    bad[0] = 0x50;
    await expect(readIdx(write('magic', bad))).rejects.toThrow(/magic.*magic number 0x50000803/);
    await expect(readIdx(write('trunc', good.subarray(0, 50)))).rejects.toThrow(/trunc is truncated: header says uint8 \[3, 5, 7\]/);
    await expect(readIdx(write('trail', Buffer.concat([good, Buffer.of(1)])))).rejects.toThrow(/trail has trailing bytes/);
    await expect(readIdx(write('hdr', good.subarray(0, 6)))).rejects.toThrow(/hdr is truncated inside its header/);
    const gz = gzipSync(good);
    await expect(readIdx(write('cut.gz', gz.subarray(0, gz.length - 10)))).rejects.toThrow(/cut\.gz is corrupt or truncated gzip/);
    await expect(readIdx(join(dir, 'missing'))).rejects.toThrow(/cannot read .*missing/);
    await expect(idxDataset(write('m-img', good), write('m-lbl', idxBytes([4], Uint8Array.of(0, 1, 2, 3))))).rejects.toThrow(
      /m-img has 3 images but .*m-lbl has 4 labels/,
    );
  });
});

describe('Fashion-MNIST', () => {
  it('reads the bundled subset: 12,500 train (1,500 per source class, 1,000 per target class), 3,000 test', async () => {
    const train = await fashionMnist({ split: 'train', bundled: true });
    const test = await fashionMnist({ split: 'test', bundled: true });
    expect(train.shape).toEqual([12500, 1, 28, 28]);
    expect(classCounts(train, 10)).toEqual([1500, 1500, 1500, 1500, 1500, 1000, 1000, 1000, 1000, 1000]);
    expect(classCounts(test, 10)).toEqual(new Array(10).fill(300));
    expect(train.classNames?.[9]).toBe('Ankle boot');
  });

  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST_DIR))('reads the full test set and matches the stated training mean/std (needs dataset-fashion-mnist)', async () => {
    const test = await fashionMnist({ split: 'test', dir: DEBIAN_FASHION_MNIST_DIR });
    expect(test.length).toBe(10000);
    expect(classCounts(test)).toEqual(new Array(10).fill(1000));
    // Test-set statistics are close to, not equal to, the training-set constants (within 0.01).
    let s = 0;
    let s2 = 0;
    for (const v of test.images) {
      s += v / 255;
      s2 += (v / 255) ** 2;
    }
    const mean = s / test.images.length;
    expect(Math.abs(mean - (FASHION_MNIST_MEAN[0] as number))).toBeLessThan(0.01);
    expect(Math.abs(Math.sqrt(s2 / test.images.length - mean * mean) - (FASHION_MNIST_STD[0] as number))).toBeLessThan(0.01);
  });

  it('names the folder when it is missing and rejects a bad split', async () => {
    await expect(fashionMnist({ split: 'train', dir: join(dir, 'nowhere') })).rejects.toThrow(/nowhere not found/);
    await expect(fashionMnist({ split: 'val' as 'train', bundled: true })).rejects.toThrow(/split must be/);
  });
});

describe('CIFAR binary batches', () => {
  const record = (labels: number[], fill: number): Buffer => Buffer.concat([Buffer.from(labels), Buffer.alloc(3072, fill)]);

  it('reads CIFAR-10 train (5 batches) and test, with class names', async () => {
    const c10 = join(dir, 'cifar-10-batches-bin');
    mkdirSync(c10);
    for (let b = 1; b <= 5; b++) writeFileSync(join(c10, `data_batch_${b}.bin`), Buffer.concat([record([b], b), record([9], 200)]));
    writeFileSync(join(c10, 'test_batch.bin'), record([3], 7));
    writeFileSync(join(c10, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
    const train = await cifar10({ split: 'train', dir: c10 });
    expect(train.shape).toEqual([10, 3, 32, 32]);
    expect([...train.labels]).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(train.get(2).image[3071]).toBe(2);
    expect(train.classNames?.[3]).toBe('cat');
    const test = await cifar10({ split: 'test', dir: c10 });
    expect([...test.labels]).toEqual([3]);
  });

  it('reads CIFAR-100 fine and coarse labels, and rejects truncated or out-of-range files', async () => {
    const c100 = join(dir, 'cifar-100-binary');
    mkdirSync(c100);
    writeFileSync(join(c100, 'train.bin'), Buffer.concat([record([4, 77], 1), record([19, 99], 2)]));
    expect([...(await cifar100({ split: 'train', dir: c100 })).labels]).toEqual([77, 99]);
    expect([...(await cifar100({ split: 'train', dir: c100, labels: 'coarse' })).labels]).toEqual([4, 19]);
    writeFileSync(join(c100, 'test.bin'), record([4, 77], 1).subarray(0, 3000));
    await expect(cifar100({ split: 'test', dir: c100 })).rejects.toThrow(/test\.bin has 3000 bytes, not a whole number of cifar100-fine records of 3074/);
    writeFileSync(join(c100, 'test.bin'), record([20, 5], 1));
    await expect(cifar100({ split: 'test', dir: c100, labels: 'coarse' })).rejects.toThrow(/test\.bin record 0 has label 20/);
  });
});

describe('.npy', () => {
  it('reads float32, float64, uint8, int32 and int64 with v1 and v2 headers', async () => {
    const f32 = Float32Array.of(1.5, -2, 3.25, 0, 7, 8);
    const t1 = await readNpy(write('f32.npy', npyBytes('<f4', [2, 3], f32)));
    expect(t1).toEqual({ data: f32, shape: [2, 3], dtype: 'float32' });
    const t2 = await readNpy(write('f64.npy', npyBytes('<f8', [3], Float64Array.of(0.1, 0.2, 0.3), 2)));
    expect(t2.dtype).toBe('float64');
    expect([...t2.data]).toEqual([0.1, 0.2, 0.3]);
    expect((await readNpy(write('u8.npy', npyBytes('|u1', [1, 2], Uint8Array.of(9, 255))))).data).toEqual(Uint8Array.of(9, 255));
    expect((await readNpy(write('i32.npy', npyBytes('<i4', [2], Int32Array.of(-1, 5))))).data).toEqual(Int32Array.of(-1, 5));
    expect((await readNpy(write('i64.npy', npyBytes('<i8', [2], BigInt64Array.of(3n, -4n))))).data).toEqual(BigInt64Array.of(3n, -4n));
    const empty = await readNpy(write('empty.npy', npyBytes('<f4', [0, 4], new Float32Array(0))));
    expect(empty.shape).toEqual([0, 4]);
  });

  it('makes a dataset from items and int64 labels; float64 items become float32', async () => {
    const ds = await npyDataset(
      write('x.npy', npyBytes('<f8', [3, 2], Float64Array.of(1, 2, 3, 4, 5, 6))),
      write('y.npy', npyBytes('<i8', [3], BigInt64Array.of(0n, 2n, 1n))),
    );
    expect(ds.images).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
    expect([...ds.labels]).toEqual([0, 2, 1]);
    await expect(npyDataset(join(dir, 'x.npy'), write('y2.npy', npyBytes('<i4', [2], Int32Array.of(0, 1))))).rejects.toThrow(
      /x\.npy has 3 items but .*y2\.npy has 2 labels/,
    );
  });

  it('rejects bad magic, Fortran order, big-endian and truncated files, naming the file', async () => {
    await expect(readNpy(write('bad.npy', 'hello world, not numpy'))).rejects.toThrow(/bad\.npy does not start with the \.npy magic/);
    await expect(readNpy(write('fo.npy', npyBytes('<f4', [1], Float32Array.of(1), 1, true)))).rejects.toThrow(/fo\.npy is in Fortran order/);
    await expect(readNpy(write('be.npy', npyBytes('>f4', [1], Float32Array.of(1))))).rejects.toThrow(/be\.npy has dtype '>f4'/);
    const full = npyBytes('<f4', [4], Float32Array.of(1, 2, 3, 4));
    await expect(readNpy(write('tr.npy', full.subarray(0, full.length - 3)))).rejects.toThrow(/tr\.npy is truncated: float32 \(4\) needs/);
  });
});

describe('CSV', () => {
  it('reads numeric labels without a header and named labels with one', async () => {
    const a = await csvDataset(write('a.csv', '1,2,0\n3.5,-4,1\n\n5,6,1\n'));
    expect(a.shape).toEqual([3, 2]);
    expect(a.images).toEqual(Float32Array.of(1, 2, 3.5, -4, 5, 6));
    expect([...a.labels]).toEqual([0, 1, 1]);
    const b = await csvDataset(write('b.csv', 'species,len,width\nsetosa,1,2\nvirginica,3,4\nsetosa,5,6\n'), { labelColumn: 'species' });
    expect(b.classNames).toEqual(['setosa', 'virginica']);
    expect([...b.labels]).toEqual([0, 1, 0]);
    expect(b.images).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
  });

  it('names the file, line and column of a ragged row or a non-number', async () => {
    await expect(csvDataset(write('r.csv', 'x,y,label\n1,2,0\n1,0\n'))).rejects.toThrow(/r\.csv line 3 has 2 fields, expected 3/);
    await expect(csvDataset(write('n.csv', 'x,y,label\n1,abc,0\n'))).rejects.toThrow(/n\.csv line 2 column 2 is 'abc', not a number/);
    await expect(csvDataset(write('e.csv', '\n\n'))).rejects.toThrow(/e\.csv is empty/);
    await expect(csvDataset(write('c.csv', 'x,label\n1,0\n'), { labelColumn: 'class' })).rejects.toThrow(/no column named 'class'/);
  });
});
