import { describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_MEAN, FASHION_MNIST_STD, RAND_AUGMENT_OPS, Rng, applyRandAugmentOp, centerCrop, compose, customTransform,
  horizontalFlip, normalise, randAugment, randomCrop, randomErasing, resize, sampleRng, toFloat, transformFromSpec,
  type UnlabelledSample,
} from '@graft/data';

const rng = new Rng(0);
function image(c: number, h: number, w: number, seed: number, float = false): UnlabelledSample {
  const r = new Rng(seed);
  const n = c * h * w;
  return { image: float ? Float32Array.from({ length: n }, () => r.uniform(-1, 1)) : Uint8Array.from({ length: n }, () => r.int(256)), shape: [c, h, w] };
}

/** Naive float64 bilinear (half-pixel centres, edge clamp): the reference for resize. */
function resizeRef(x: UnlabelledSample, oh: number, ow: number): Float64Array {
  const [c, h, w] = x.shape as [number, number, number];
  const y = new Float64Array(c * oh * ow);
  const at = (ch: number, i: number, j: number): number => x.image[(ch * h + Math.min(i, h - 1)) * w + Math.min(j, w - 1)] as number;
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const sy = Math.max(0, ((i + 0.5) * h) / oh - 0.5);
    const sx = Math.max(0, ((j + 0.5) * w) / ow - 0.5);
    const y0 = Math.floor(sy);
    const x0 = Math.floor(sx);
    const ty = sy - y0;
    const tx = sx - x0;
    y[(ch * oh + i) * ow + j] = (1 - ty) * ((1 - tx) * at(ch, y0, x0) + tx * at(ch, y0, x0 + 1)) + ty * ((1 - tx) * at(ch, y0 + 1, x0) + tx * at(ch, y0 + 1, x0 + 1));
  }
  return y;
}

/** Naive reference of pad-then-crop. */
function cropRef(x: UnlabelledSample, top: number, left: number, oh: number, ow: number, fill: number): number[] {
  const [c, h, w] = x.shape as [number, number, number];
  const out: number[] = [];
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const si = top + i;
    const sj = left + j;
    out.push(si >= 0 && si < h && sj >= 0 && sj < w ? (x.image[(ch * h + si) * w + sj] as number) : fill);
  }
  return out;
}

describe('element-wise transforms', () => {
  it('toFloat maps uint8 to [0, 1] and passes float32 through', () => {
    const x = { image: Uint8Array.of(0, 51, 255), shape: [3] };
    expect([...toFloat().apply(x, rng).image]).toEqual([0, 0.2, 1].map(Math.fround));
    const f = image(1, 2, 2, 1, true);
    expect(toFloat().apply(f, rng)).toBe(f);
  });

  it('normalise matches a float64 reference per channel', () => {
    const x = image(3, 5, 7, 2, true);
    const mean = [0.1, -0.2, 0.3];
    const std = [0.5, 2, 0.25];
    const y = normalise(mean, std).apply(x, rng).image;
    for (let i = 0; i < y.length; i++) {
      const ch = Math.floor(i / 35);
      const ref = ((x.image[i] as number) - (mean[ch] as number)) / (std[ch] as number);
      // float32 result of one subtract and one multiply by 1/std: within 2e-6 relative + 1e-6 absolute.
      expect(Math.abs((y[i] as number) - ref)).toBeLessThanOrEqual(1e-6 + 2e-6 * Math.abs(ref));
    }
    expect(() => normalise([1], [0])).toThrow(/std must be > 0/);
    expect(() => normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD).apply(image(1, 2, 2, 0), rng)).toThrow(/apply toFloat\(\) first/);
    expect(() => normalise([0, 0], [1, 1]).apply(x, rng)).toThrow(/2 means for an image of 3 channels/);
  });
});

describe('geometric transforms', () => {
  it.each([[1, 7, 5, 13, 11], [3, 28, 28, 32, 32], [2, 13, 17, 5, 3], [1, 1, 1, 4, 2], [1, 6, 6, 1, 1]])(
    'resize [%i, %i, %i] -> %ix%i matches the float64 bilinear reference',
    (c, h, w, oh, ow) => {
      const xf = image(c, h, w, h * w, true);
      const yf = resize(oh, ow).apply(xf, rng);
      expect(yf.shape).toEqual([c, oh, ow]);
      const ref = resizeRef(xf, oh, ow);
      // float32 interpolation of values in [-1, 1]: within 1e-6.
      let maxErr = 0;
      ref.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs((yf.image[i] as number) - v))));
      expect(maxErr).toBeLessThanOrEqual(1e-6);
      const xu = image(c, h, w, 5);
      const yu = resize(oh, ow).apply(xu, rng).image;
      // uint8 output is the reference rounded to nearest: off by at most 0.5 + float32 rounding.
      let maxU8Err = 0;
      resizeRef(xu, oh, ow).forEach((v, i) => (maxU8Err = Math.max(maxU8Err, Math.abs((yu[i] as number) - v))));
      expect(maxU8Err).toBeLessThanOrEqual(0.5 + 1e-4);
    },
  );

  it('resize by an integer factor down then keeps pixel centres (2x2 -> 4x4 known values)', () => {
    const y = resize(4).apply({ image: Float32Array.of(0, 1, 2, 3), shape: [1, 2, 2] }, rng).image;
    // PyTorch: F.interpolate(torch.arange(4.).view(1,1,2,2), size=4, mode='bilinear') first row.
    expect([...y.subarray(0, 4)]).toEqual([0, 0.25, 0.75, 1]);
  });

  it('centerCrop and randomCrop equal the pad-then-crop reference', () => {
    const x = image(2, 7, 9, 3);
    expect([...centerCrop(3, 5).apply(x, rng).image]).toEqual(cropRef(x, 2, 2, 3, 5, 0));
    expect([...centerCrop(11, 9, 9).apply(x, rng).image]).toEqual(cropRef(x, -2, 0, 11, 9, 9));
    const t = randomCrop(7, { width: 9, padding: 3, fill: 17 });
    const seen = new Set<string>();
    for (let k = 0; k < 600; k++) {
      const r1 = new Rng(k);
      const r2 = new Rng(k);
      const top = r2.int(7 + 6 - 7 + 1) - 3;
      const left = r2.int(9 + 6 - 9 + 1) - 3;
      seen.add(`${top},${left}`);
      expect([...t.apply(x, r1).image]).toEqual(cropRef(x, top, left, 7, 9, 17));
    }
    expect(seen.size).toBe(49); // every offset in [-3, 3]^2 occurs
    expect(() => randomCrop(20).apply(x, rng)).toThrow(/image \[2, 7, 9\] padded by 0 is smaller than the crop 20x20/);
  });

  it('horizontalFlip mirrors rows; p = 0 and p = 1 are exact', () => {
    const x = image(3, 4, 5, 4);
    const y = horizontalFlip(1).apply(x, rng).image;
    for (let r = 0; r < 12; r++) for (let j = 0; j < 5; j++) expect(y[r * 5 + j]).toBe(x.image[r * 5 + 4 - j]);
    expect(horizontalFlip(0).apply(x, rng)).toBe(x);
    let flipped = 0;
    for (let k = 0; k < 1000; k++) if (horizontalFlip().apply(x, new Rng(k)) !== x) flipped++;
    expect(flipped).toBeGreaterThan(450); // Binomial(1000, 0.5): 450 is 3.2 sigma below the mean
    expect(flipped).toBeLessThan(550);
  });

  it('randomErasing erases one box of the allowed area and leaves the rest', () => {
    const x = image(1, 28, 28, 6, true);
    for (let k = 0; k < 50; k++) {
      const y = randomErasing({ p: 1, value: 5 }).apply(x, new Rng(k)).image;
      let erased = 0;
      let changed = 0;
      for (let i = 0; i < y.length; i++) {
        if (y[i] === 5) erased++;
        else if (y[i] !== x.image[i]) changed++;
      }
      expect(changed).toBe(0);
      // area = round(sqrt(a*r)) * round(sqrt(a/r)) for a in [0.02, 0.33] * 784: rounding widens the range.
      expect(erased).toBeGreaterThanOrEqual(9);
      expect(erased).toBeLessThanOrEqual(0.33 * 784 * 1.3);
    }
  });
});

describe('RandAugment', () => {
  const x = image(1, 9, 9, 7);
  const d = (op: (typeof RAND_AUGMENT_OPS)[number], m: number, sign = 1): Uint8Array => applyRandAugmentOp(op, x, m, sign, new Rng(1)).image as Uint8Array;

  it('each op at magnitude 0 is the identity, except the image-statistics ops', () => {
    for (const op of RAND_AUGMENT_OPS) {
      if (op === 'autocontrast' || op === 'equalize') continue;
      expect([...d(op, 0)]).toEqual([...x.image]);
    }
  });

  it('ops match hand-computed results', () => {
    expect([...d('solarize', 30)]).toEqual([...x.image].map((v) => 255 - v)); // threshold 0: invert all
    expect([...d('posterize', 30)]).toEqual([...x.image].map((v) => v & 0xf0)); // 4 bits
    expect([...d('brightness', 30, -1)]).toEqual([...x.image].map((v) => Math.round(v * (1 - 0.9)))); // factor 1 - 0.9 towards black
    const tx = d('translateX', 30); // 150/331 * 9 = 4.08 -> 4 pixels right, zero fill
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(tx[i * 9 + j]).toBe(j < 4 ? 0 : x.image[i * 9 + j - 4]);
    // Counter-clockwise by 30 degrees about (4, 4): output (2, 7) reads input (4 + 1.5 - 1.73, 4 + 2.6 + 1) -> (4, 8).
    const dot = new Uint8Array(81);
    dot[4 * 9 + 8] = 255;
    const rot = applyRandAugmentOp('rotate', { image: dot, shape: [1, 9, 9] }, 30, 1, rng).image;
    expect(rot[2 * 9 + 7]).toBe(255);
    expect(rot[4 * 9 + 8]).toBe(0);
    const ramp = { image: Uint8Array.from({ length: 16 }, (_, i) => 10 + i * 10), shape: [1, 4, 4] };
    const ac = applyRandAugmentOp('autocontrast', ramp, 10, 1, rng).image;
    expect([ac[0], ac[15]]).toEqual([0, 255]);
    // PIL equalize: 510 pixels of 10 and 2 of 200 -> step = floor((512 - 2) / 255) = 2, so 10 -> 0 and 200 -> 255.
    const skew = new Uint8Array(512).fill(10);
    skew[0] = 200;
    skew[1] = 200;
    const eq = applyRandAugmentOp('equalize', { image: skew, shape: [1, 16, 32] }, 10, 1, rng).image;
    expect([eq[0], eq[1], eq[2], eq[511]]).toEqual([255, 255, 0, 0]);
  });

  it('cutout blanks a square of side m/30 * size/2 inside the image', () => {
    const full = { image: new Uint8Array(28 * 28).fill(200), shape: [1, 28, 28] };
    const y = applyRandAugmentOp('cutout', full, 30, 1, new Rng(3)).image;
    const zeros = [...y].filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThanOrEqual(14 * 14);
  });

  it('is deterministic per (seed, epoch, index), works on RGB and rejects float input', () => {
    const t = randAugment({ n: 3, m: 20 });
    const rgb = image(3, 11, 13, 8);
    expect(t.apply(rgb, sampleRng(1, 2, 3)).image).toEqual(t.apply(rgb, sampleRng(1, 2, 3)).image);
    const outs = new Set<string>();
    for (let i = 0; i < 20; i++) outs.add(Buffer.from(t.apply(rgb, sampleRng(1, 2, i)).image.buffer).toString('base64'));
    expect(outs.size).toBeGreaterThan(10);
    expect(() => t.apply(image(1, 4, 4, 0, true), sampleRng(0, 0, 0))).toThrow(/randAugment: expects uint8 images/);
    expect(() => randAugment({ m: 31 })).toThrow(/m must be in \[0, 30\]/);
  });
});

describe('compose and specs', () => {
  it('a pipeline rebuilt from its JSON spec gives identical results', () => {
    const t = compose(randAugment({ n: 2, m: 9 }), randomCrop(28, { padding: 4 }), horizontalFlip(), toFloat(),
      normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD), randomErasing({ p: 0.5 }), centerCrop(24), resize(32));
    const copy = transformFromSpec(JSON.parse(JSON.stringify(t.spec)));
    const x = image(1, 28, 28, 9);
    for (let i = 0; i < 20; i++) expect(copy.apply(x, sampleRng(5, 1, i)).image).toEqual(t.apply(x, sampleRng(5, 1, i)).image);
    expect(t.apply(x, sampleRng(5, 1, 0)).shape).toEqual([1, 32, 32]);
    expect(() => transformFromSpec(customTransform('mine', (s) => s).spec)).toThrow(/custom transform 'mine' is a function/);
  });
});
