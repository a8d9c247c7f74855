/**
 * Element-wise and simple transforms: {@link toFloat}, {@link normalise}, {@link horizontalFlip},
 * {@link customTransform}.
 */
import type { Rng } from '../random.js';
import type { UnlabelledSample } from '../types.js';
import { checkProbability, imageDims, like, type Transform } from './types.js';

/**
 * uint8 `[0, 255]` -> float32 `[0, 1]`; float32 input passes through unchanged.
 * @example
 * compose(randomCrop(28, { padding: 2 }), toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
 */
export function toFloat(): Transform {
  return {
    spec: { kind: 'toFloat' },
    apply(x: UnlabelledSample): UnlabelledSample {
      if (x.image instanceof Float32Array) return x;
      const out = new Float32Array(x.image.length);
      const src = x.image;
      for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) / 255;
      return { image: out, shape: x.shape };
    },
  };
}

/**
 * Per-channel `(x - mean[c]) / std[c]` on float32 images (one value broadcasts to every channel).
 * @example
 * normalise(IMAGENET_MEAN, IMAGENET_STD);
 */
export function normalise(mean: readonly number[], std: readonly number[]): Transform {
  if (mean.length === 0 || mean.length !== std.length) {
    throw new Error(`normalise: mean has ${mean.length} values and std ${std.length}; they must match and be non-empty`);
  }
  if (std.some((s) => !(s > 0))) throw new Error(`normalise: every std must be > 0, got [${std.join(', ')}]`);
  const scale = std.map((s) => 1 / s);
  return {
    spec: { kind: 'normalise', mean: [...mean], std: [...std] },
    apply(x: UnlabelledSample): UnlabelledSample {
      const [c, h, w] = imageDims(x, 'normalise');
      if (!(x.image instanceof Float32Array)) throw new Error('normalise: expects float32 images; apply toFloat() first');
      if (mean.length !== 1 && mean.length !== c) throw new Error(`normalise: ${mean.length} means for an image of ${c} channels`);
      const out = new Float32Array(x.image.length);
      const plane = h * w;
      for (let ch = 0; ch < c; ch++) {
        const m = mean.length === 1 ? (mean[0] as number) : (mean[ch] as number);
        const k = scale.length === 1 ? (scale[0] as number) : (scale[ch] as number);
        for (let i = ch * plane; i < (ch + 1) * plane; i++) out[i] = ((x.image[i] as number) - m) * k;
      }
      return { image: out, shape: x.shape };
    },
  };
}

/**
 * Mirrors the image left-right with probability `p` (default 0.5).
 * @example
 * horizontalFlip(); // flips half the samples
 */
export function horizontalFlip(p = 0.5): Transform {
  checkProbability(p, 'horizontalFlip');
  return {
    spec: { kind: 'horizontalFlip', p },
    apply(x: UnlabelledSample, rng: Rng): UnlabelledSample {
      const [c, h, w] = imageDims(x, 'horizontalFlip');
      if (!rng.chance(p)) return x;
      const out = like(x.image, x.image.length);
      for (let row = 0; row < c * h; row++) {
        const base = row * w;
        for (let j = 0; j < w; j++) out[base + j] = x.image[base + w - 1 - j] as number;
      }
      return { image: out, shape: x.shape };
    },
  };
}

/**
 * Wraps a function as a transform. It runs on the main thread only: a loader with worker threads
 * rejects it (functions cannot be sent to a worker).
 * @example
 * const invert = customTransform('invert', (x) => ({ image: x.image.map((v) => 255 - v), shape: x.shape }));
 */
export function customTransform(name: string, fn: (x: UnlabelledSample, rng: Rng) => UnlabelledSample): Transform {
  return { spec: { kind: 'custom', name }, apply: fn };
}

/**
 * ImageNet per-channel mean (RGB, [0, 1] scale), as torchvision's pretrained models expect.
 * @example
 * compose(resize(224), toFloat(), normalise(IMAGENET_MEAN, IMAGENET_STD));
 */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/**
 * ImageNet per-channel standard deviation (RGB, [0, 1] scale).
 * @example
 * normalise(IMAGENET_MEAN, IMAGENET_STD);
 */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
