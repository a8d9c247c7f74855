/**
 * {@link compose} and {@link transformFromSpec}, which rebuilds any built-in transform from its spec
 * (how a worker thread gets the same pipeline as the main thread).
 */
import type { Rng } from '../random.js';
import type { UnlabelledSample } from '../types.js';
import { horizontalFlip, normalise, toFloat } from './basic.js';
import { centerCrop, randomCrop, randomErasing, resize } from './geometric.js';
import { randAugment } from './randaugment.js';
import type { Transform, TransformSpec } from './types.js';

/**
 * Applies transforms in order, all drawing from the same per-sample generator.
 * @example
 * const train = compose(randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat());
 */
export function compose(...transforms: Transform[]): Transform {
  return {
    spec: { kind: 'compose', transforms: transforms.map((t) => t.spec) },
    apply(x: UnlabelledSample, rng: Rng): UnlabelledSample {
      let y = x;
      for (const t of transforms) y = t.apply(y, rng);
      return y;
    },
  };
}

/**
 * Rebuilds a built-in transform from its spec; custom transforms cannot be rebuilt and throw.
 * @example
 * const copy = transformFromSpec(JSON.parse(JSON.stringify(randomCrop(28, { padding: 2 }).spec)));
 */
export function transformFromSpec(spec: TransformSpec): Transform {
  switch (spec.kind) {
    case 'toFloat': return toFloat();
    case 'normalise': return normalise(spec.mean, spec.std);
    case 'resize': return resize(spec.height, spec.width);
    case 'centerCrop': return centerCrop(spec.height, spec.width, spec.fill);
    case 'randomCrop': return randomCrop(spec.height, { width: spec.width, padding: spec.padding, fill: spec.fill });
    case 'horizontalFlip': return horizontalFlip(spec.p);
    case 'randomErasing': return randomErasing({ p: spec.p, scale: spec.scale, ratio: spec.ratio, value: spec.value });
    case 'randAugment': return randAugment({ n: spec.n, m: spec.m, fill: spec.fill });
    case 'compose': return compose(...spec.transforms.map(transformFromSpec));
    case 'custom': throw new Error(`transformFromSpec: custom transform '${spec.name}' is a function and cannot be rebuilt in a worker thread; use workers: 0`);
  }
}

/**
 * Whether every part of a transform can be rebuilt from its spec (so it can run in worker threads).
 * @example
 * isPortable(compose(toFloat(), horizontalFlip())); // true
 */
export function isPortable(spec: TransformSpec): boolean {
  if (spec.kind === 'custom') return false;
  if (spec.kind === 'compose') return spec.transforms.every(isPortable);
  return true;
}
