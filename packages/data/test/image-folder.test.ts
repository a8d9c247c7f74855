import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, imageFolder } from '@graft/data';
import { tempDir } from './helpers.js';

const root = tempDir('folder');

/** A w x h RGB image whose pixel (i, j) is (i, j, 7), HWC. */
function gradient(h: number, w: number): Buffer {
  const hwc = Buffer.alloc(h * w * 3);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) hwc.set([i, j, 7], (i * w + j) * 3);
  return hwc;
}

beforeAll(async () => {
  const raw = { raw: { width: 5, height: 3, channels: 3 as const } };
  mkdirSync(join(root, 'good', 'cat'), { recursive: true });
  mkdirSync(join(root, 'good', 'dog'), { recursive: true });
  await sharp(gradient(3, 5), raw).png().toFile(join(root, 'good', 'cat', 'a.png'));
  await sharp(gradient(3, 5), raw).png().toFile(join(root, 'good', 'cat', 'b.PNG'));
  await sharp(gradient(3, 5), raw).jpeg({ quality: 100 }).toFile(join(root, 'good', 'dog', 'c.jpg'));
  writeFileSync(join(root, 'good', 'dog', 'notes.txt'), 'ignored');
  mkdirSync(join(root, 'empty', 'a'), { recursive: true });
  mkdirSync(join(root, 'empty', 'b'), { recursive: true });
  await sharp(gradient(3, 5), raw).png().toFile(join(root, 'empty', 'a', 'x.png'));
  mkdirSync(join(root, 'broken', 'a'), { recursive: true });
  writeFileSync(join(root, 'broken', 'a', 'bad.jpg'), Buffer.from('this is not a jpeg'));
});

describe('image folders (sharp)', () => {
  it('decodes PNG exactly into [3, h, w] (CHW) and JPEG closely', async () => {
    const png = await decodeImage(join(root, 'good', 'cat', 'a.png'));
    expect(png.shape).toEqual([3, 3, 5]);
    // Channel 0 holds the row index, channel 1 the column, channel 2 the constant 7 (PNG is lossless).
    expect([...png.image.subarray(0, 15)]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect([...png.image.subarray(15, 20)]).toEqual([0, 1, 2, 3, 4]);
    expect([...png.image.subarray(30, 45)]).toEqual(new Array(15).fill(7));
    const jpg = await decodeImage(join(root, 'good', 'dog', 'c.jpg'));
    // JPEG at quality 100 with chroma subsampling: within 6 grey levels of the source.
    for (let k = 0; k < 15; k++) expect(Math.abs((jpg.image[30 + k] as number) - 7)).toBeLessThanOrEqual(6);
  });

  it('reads one folder per class in sorted order, greyscale and resized on request', async () => {
    const ds = await imageFolder(join(root, 'good'), { channels: 1, size: [4, 6] });
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([...ds.labels]).toEqual([0, 0, 1]);
    expect(ds.files.map((f) => f.split('/').pop())).toEqual(['a.png', 'b.PNG', 'c.jpg']);
    expect(ds.get(2).shape).toEqual([1, 4, 6]);
    const rgb = await imageFolder(join(root, 'good'));
    expect(rgb.get(0).shape).toEqual([3, 3, 5]);
  });

  it('names an empty class folder and an unreadable image; nothing partial is returned', async () => {
    await expect(imageFolder(join(root, 'empty'))).rejects.toThrow(/class folder .*empty\/b holds no/);
    await expect(imageFolder(join(root, 'broken'))).rejects.toThrow(/cannot decode .*broken\/a\/bad\.jpg/);
    await expect(imageFolder(join(root, 'missing'))).rejects.toThrow(/cannot read folder .*missing/);
  });
});
