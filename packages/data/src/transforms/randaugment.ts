/**
 * RandAugment (Cubuk et al. 2020), the strong noise of Noisy Student: N ops drawn uniformly (with
 * replacement) from a fixed list, each applied at magnitude M on torchvision's scale of 0..30, with a
 * random sign for the signed ops. Works on uint8 images; put it before {@link toFloat}.
 */
import type { Rng } from '../random.js';
import type { UnlabelledSample } from '../types.js';
import * as ops from './randaugment-ops.js';
import { imageDims, type Transform } from './types.js';

/** The op names, in the order an op index refers to. */
export const RAND_AUGMENT_OPS = [
  'identity', 'autocontrast', 'equalize', 'rotate', 'solarize', 'posterize', 'contrast', 'brightness',
  'sharpness', 'shearX', 'shearY', 'translateX', 'translateY', 'cutout',
] as const;

/** One of {@link RAND_AUGMENT_OPS}. */
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

const MAX_MAGNITUDE = 30;

/**
 * Applies one named op at magnitude m in [0, 30] (`sign` = ±1 for the signed ops; `rng` places the cutout).
 * Strengths at m = 30: rotate 30 degrees, shear 0.3, translate 150/331 of the size, enhance factors 1 ± 0.9,
 * posterize to 4 bits, solarize at threshold 0, cutout of half the shorter side.
 * @example
 * applyRandAugmentOp('rotate', { image, shape: [1, 28, 28] }, 15, 1, new Rng(0)); // rotates by 15 degrees
 */
export function applyRandAugmentOp(op: RandAugmentOp, x: UnlabelledSample, m: number, sign: number, rng: Rng, fill = 0): UnlabelledSample {
  const [c, h, w] = imageDims(x, 'randAugment');
  if (!(x.image instanceof Uint8Array)) throw new Error('randAugment: expects uint8 images; apply it before toFloat()');
  if (c !== 1 && c !== 3) throw new Error(`randAugment: expects 1 or 3 channels, got ${c}`);
  const d = { c, h, w };
  const t = m / MAX_MAGNITUDE;
  const img = x.image;
  let y: Uint8Array;
  switch (op) {
    case 'identity': return x;
    case 'autocontrast': y = ops.autocontrast(img, d); break;
    case 'equalize': y = ops.equalize(img, d); break;
    case 'rotate': y = ops.rotate(img, d, sign * 30 * t, fill); break;
    case 'solarize': y = ops.solarize(img, d, 255 * (1 - t)); break;
    case 'posterize': y = ops.posterize(img, d, 8 - Math.round(4 * t)); break;
    case 'contrast': y = ops.contrast(img, d, sign * 0.9 * t); break;
    case 'brightness': y = ops.brightness(img, d, sign * 0.9 * t); break;
    case 'sharpness': y = ops.sharpness(img, d, sign * 0.9 * t); break;
    case 'shearX': y = ops.shearX(img, d, sign * 0.3 * t, fill); break;
    case 'shearY': y = ops.shearY(img, d, sign * 0.3 * t, fill); break;
    case 'translateX': y = ops.translateX(img, d, (sign * 150 * t * w) / 331, fill); break;
    case 'translateY': y = ops.translateY(img, d, (sign * 150 * t * h) / 331, fill); break;
    case 'cutout': y = ops.cutout(img, d, Math.round(0.5 * t * Math.min(h, w)), rng.int(h), rng.int(w), fill); break;
  }
  return { image: y, shape: x.shape };
}

/** Options of {@link randAugment}. */
export interface RandAugmentOptions {
  /** Ops per image (default 2). */
  n?: number;
  /** Magnitude in [0, 30] (default 9). */
  m?: number;
  /** Value of pixels uncovered by geometric ops and cutout (default 0). */
  fill?: number;
}

/**
 * RandAugment on uint8 images.
 * @example
 * const strong = compose(randAugment({ n: 2, m: 27 }), toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
 */
export function randAugment(options: RandAugmentOptions = {}): Transform {
  const n = options.n ?? 2;
  const m = options.m ?? 9;
  const fill = options.fill ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new Error(`randAugment: n must be a non-negative integer, got ${n}`);
  if (!(m >= 0 && m <= MAX_MAGNITUDE)) throw new Error(`randAugment: m must be in [0, ${MAX_MAGNITUDE}], got ${m}`);
  if (!Number.isInteger(fill) || fill < 0 || fill > 255) throw new Error(`randAugment: fill must be an integer in [0, 255], got ${fill}`);
  return {
    spec: { kind: 'randAugment', n, m, fill },
    apply(x: UnlabelledSample, rng: Rng): UnlabelledSample {
      let y = x;
      for (let k = 0; k < n; k++) {
        const op = RAND_AUGMENT_OPS[rng.int(RAND_AUGMENT_OPS.length)] as RandAugmentOp;
        const sign = rng.chance(0.5) ? 1 : -1;
        y = applyRandAugmentOp(op, y, m, sign, rng, fill);
      }
      return y;
    },
  };
}
