/**
 * Geometric transforms on `[c, h, w]` images of either element type: {@link resize}, {@link centerCrop},
 * {@link randomCrop}, {@link randomErasing}.
 */
import type { Rng } from '../random.js';
import type { ImageArray, UnlabelledSample } from '../types.js';
import { checkProbability, checkSize, imageDims, like, type Transform } from './types.js';

/**
 * Copies the window of `x` whose top-left corner is (top, left) (may lie outside: filled with `fill`).
 * x (C,H,W) -> y (C,OH,OW)
 */
function cropWindow(x: ImageArray, c: number, h: number, w: number, top: number, left: number, oh: number, ow: number, fill: number): ImageArray {
  const y = like(x, c * oh * ow);
  if (fill !== 0) y.fill(fill);
  const r0 = Math.max(0, -top);
  const r1 = Math.min(oh, h - top);
  const c0 = Math.max(0, -left);
  const c1 = Math.min(ow, w - left);
  if (r0 >= r1 || c0 >= c1) return y;
  for (let ch = 0; ch < c; ch++) {
    for (let r = r0; r < r1; r++) {
      const src = (ch * h + top + r) * w + left;
      y.set(x.subarray(src + c0, src + c1), (ch * oh + r) * ow + c0);
    }
  }
  return y;
}

/** Source index pair and weight of bilinear sampling along one axis (half-pixel centres). */
function axisTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; t: Float32Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[o] = i0;
    hi[o] = Math.min(i0 + 1, inSize - 1);
    t[o] = src - i0;
  }
  return { lo, hi, t };
}

/**
 * Bilinear resize to `height x width` (half-pixel centres, no antialiasing: PyTorch's
 * `interpolate(mode='bilinear', align_corners=False)`); uint8 results are rounded.
 * @example
 * resize(32, 32); // 28x28 -> 32x32
 */
export function resize(height: number, width: number = height): Transform {
  checkSize(height, 'resize', 'height');
  checkSize(width, 'resize', 'width');
  return {
    spec: { kind: 'resize', height, width },
    apply(x: UnlabelledSample): UnlabelledSample {
      // x (C,H,W) -> y (C,height,width)
      const [c, h, w] = imageDims(x, 'resize');
      if (h === height && w === width) return x;
      if (h === 0 || w === 0) throw new Error(`resize: cannot resize an empty image [${c}, ${h}, ${w}]`);
      const ys = axisTaps(h, height);
      const xs = axisTaps(w, width);
      const y = like(x.image, c * height * width);
      const round = x.image instanceof Uint8Array;
      for (let ch = 0; ch < c; ch++) {
        const plane = ch * h * w;
        for (let i = 0; i < height; i++) {
          const a = plane + (ys.lo[i] as number) * w;
          const b = plane + (ys.hi[i] as number) * w;
          const ty = ys.t[i] as number;
          const out = (ch * height + i) * width;
          for (let j = 0; j < width; j++) {
            const l = xs.lo[j] as number;
            const r = xs.hi[j] as number;
            const tx = xs.t[j] as number;
            const top = (x.image[a + l] as number) + ((x.image[a + r] as number) - (x.image[a + l] as number)) * tx;
            const bot = (x.image[b + l] as number) + ((x.image[b + r] as number) - (x.image[b + l] as number)) * tx;
            const v = top + (bot - top) * ty;
            y[out + j] = round ? Math.round(v) : v;
          }
        }
      }
      return { image: y, shape: [c, height, width] };
    },
  };
}

/**
 * The central `height x width` window (padded with `fill` where the image is smaller), like torchvision.
 * @example
 * centerCrop(24); // 28x28 -> 24x24
 */
export function centerCrop(height: number, width: number = height, fill = 0): Transform {
  checkSize(height, 'centerCrop', 'height');
  checkSize(width, 'centerCrop', 'width');
  return {
    spec: { kind: 'centerCrop', height, width, fill },
    apply(x: UnlabelledSample): UnlabelledSample {
      const [c, h, w] = imageDims(x, 'centerCrop');
      const top = Math.round((h - height) / 2);
      const left = Math.round((w - width) / 2);
      return { image: cropWindow(x.image, c, h, w, top, left, height, width, fill), shape: [c, height, width] };
    },
  };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Border of `fill` added on every side before cropping (default 0). */
  padding?: number;
  fill?: number;
  /** Default: the same as height. */
  width?: number;
}

/**
 * A `height x width` window at a uniformly random position of the image padded by `padding` on every side.
 * @example
 * randomCrop(28, { padding: 4 }); // the CIFAR-style shift augmentation
 */
export function randomCrop(height: number, options: RandomCropOptions = {}): Transform {
  const width = options.width ?? height;
  const padding = options.padding ?? 0;
  const fill = options.fill ?? 0;
  checkSize(height, 'randomCrop', 'height');
  checkSize(width, 'randomCrop', 'width');
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  return {
    spec: { kind: 'randomCrop', height, width, padding, fill },
    apply(x: UnlabelledSample, rng: Rng): UnlabelledSample {
      const [c, h, w] = imageDims(x, 'randomCrop');
      if (h + 2 * padding < height || w + 2 * padding < width) {
        throw new Error(`randomCrop: image [${c}, ${h}, ${w}] padded by ${padding} is smaller than the crop ${height}x${width}`);
      }
      const top = rng.int(h + 2 * padding - height + 1) - padding;
      const left = rng.int(w + 2 * padding - width + 1) - padding;
      return { image: cropWindow(x.image, c, h, w, top, left, height, width, fill), shape: [c, height, width] };
    },
  };
}

/** Options of {@link randomErasing}. */
export interface RandomErasingOptions {
  p?: number;
  /** Range of the erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: [number, number];
  /** Range of the erased box's aspect ratio (default [0.3, 3.3]). */
  ratio?: [number, number];
  value?: number;
}

/**
 * Random erasing (Zhong et al. 2017; torchvision's RandomErasing): with probability p, a box of random
 * area and aspect ratio is set to `value` (up to 10 tries to fit it in the image).
 * @example
 * compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD), randomErasing({ p: 0.5 }));
 */
export function randomErasing(options: RandomErasingOptions = {}): Transform {
  const p = options.p ?? 0.5;
  const scale = options.scale ?? [0.02, 0.33];
  const ratio = options.ratio ?? [0.3, 3.3];
  const value = options.value ?? 0;
  checkProbability(p, 'randomErasing');
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) throw new Error(`randomErasing: scale must satisfy 0 < lo <= hi <= 1, got [${scale.join(', ')}]`);
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new Error(`randomErasing: ratio must satisfy 0 < lo <= hi, got [${ratio.join(', ')}]`);
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  return {
    spec: { kind: 'randomErasing', p, scale: [scale[0], scale[1]], ratio: [ratio[0], ratio[1]], value },
    apply(x: UnlabelledSample, rng: Rng): UnlabelledSample {
      const [c, h, w] = imageDims(x, 'randomErasing');
      if (!rng.chance(p)) return x;
      for (let attempt = 0; attempt < 10; attempt++) {
        const area = h * w * rng.uniform(scale[0], scale[1]);
        const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
        const eh = Math.round(Math.sqrt(area * aspect));
        const ew = Math.round(Math.sqrt(area / aspect));
        if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
        const top = rng.int(h - eh + 1);
        const left = rng.int(w - ew + 1);
        const y = x.image.slice();
        for (let ch = 0; ch < c; ch++) {
          for (let r = top; r < top + eh; r++) y.fill(value, (ch * h + r) * w + left, (ch * h + r) * w + left + ew);
        }
        return { image: y, shape: x.shape };
      }
      return x;
    },
  };
}
