/**
 * Transforms are described by plain data ({@link TransformSpec}) so a worker thread can rebuild the same
 * pipeline; each one draws its randomness from the per-sample {@link Rng} it is given, never elsewhere.
 */
import type { Rng } from '../random.js';
import type { ImageArray, UnlabelledSample } from '../types.js';

/** The data that rebuilds a transform anywhere (see `transformFromSpec`). */
export type TransformSpec =
  | { kind: 'toFloat' }
  | { kind: 'normalise'; mean: number[]; std: number[] }
  | { kind: 'resize'; height: number; width: number }
  | { kind: 'centerCrop'; height: number; width: number; fill: number }
  | { kind: 'randomCrop'; height: number; width: number; padding: number; fill: number }
  | { kind: 'horizontalFlip'; p: number }
  | { kind: 'randomErasing'; p: number; scale: [number, number]; ratio: [number, number]; value: number }
  | { kind: 'randAugment'; n: number; m: number; fill: number }
  | { kind: 'compose'; transforms: TransformSpec[] }
  | { kind: 'custom'; name: string };

/**
 * A sample transform: a pure function of its input and the draws of `rng`. It never writes into its input.
 * @example
 * const t: Transform = horizontalFlip(0.5);
 * const out = t.apply({ image, shape: [1, 28, 28] }, sampleRng(seed, epoch, index));
 */
export interface Transform {
  readonly spec: TransformSpec;
  apply(x: UnlabelledSample, rng: Rng): UnlabelledSample;
}

/** The `[c, h, w]` of an image sample, or an Error naming the transform. */
export function imageDims(x: UnlabelledSample, what: string): [number, number, number] {
  if (x.shape.length !== 3) throw new Error(`${what}: expects an image [c, h, w], got shape [${x.shape.join(', ')}]`);
  return x.shape as [number, number, number];
}

/** A new zeroed array of the same element type. */
export function like(image: ImageArray, n: number): ImageArray {
  return image instanceof Uint8Array ? new Uint8Array(n) : new Float32Array(n);
}

/** Checks a positive integer size. */
export function checkSize(value: number, what: string, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what}: ${name} must be a positive integer, got ${value}`);
}

/** Checks a probability. */
export function checkProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`${what}: p must be in [0, 1], got ${p}`);
}
