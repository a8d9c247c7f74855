/**
 * The three views self-training uses: clean (the teacher labels and everything is evaluated on it),
 * weak (flip and shift: the teacher's own training, FixMatch's labelling view) and strong (RandAugment
 * and random erasing on top: the student's input noise, after Noisy Student and FixMatch).
 */
import { compose, horizontalFlip, normalise, randAugment, randomCrop, randomErasing, toFloat, type Transform } from '@graft/data';

/** The clean, weak and strong transforms of one image format. */
export interface ViewTransforms {
  eval: Transform;
  weak: Transform;
  strong: Transform;
}

/** Options of {@link viewTransforms}. */
export interface ViewTransformOptions {
  /** Per-channel mean and std of [0, 1] pixels; omit both for no normalisation. */
  mean?: readonly number[];
  std?: readonly number[];
  /** Image side, for the random crop (default 28). */
  size?: number;
  /** RandAugment ops per image and magnitude in [0, 30] (defaults 2 and 10). */
  randAugmentN?: number;
  randAugmentM?: number;
  /** Probability of random erasing on the strong view (default 0.5). */
  erasing?: number;
}

/**
 * Clean, weak and strong transforms for uint8 images.
 * @example
 * const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
 * await predictLogits(teacher, pool, { transform: views.eval });
 */
export function viewTransforms(options: ViewTransformOptions = {}): ViewTransforms {
  const { mean, std } = options;
  if ((mean === undefined) !== (std === undefined)) throw new Error('viewTransforms: give both mean and std, or neither');
  const size = options.size ?? 28;
  const tail = mean && std ? [toFloat(), normalise(mean, std)] : [toFloat()];
  const shift = [randomCrop(size, { padding: Math.max(1, Math.round(size / 14)) }), horizontalFlip()];
  const augment = randAugment({ n: options.randAugmentN ?? 2, m: options.randAugmentM ?? 10 });
  return {
    eval: compose(...tail),
    weak: compose(...shift, ...tail),
    strong: compose(...shift, augment, ...tail, randomErasing({ p: options.erasing ?? 0.5 })),
  };
}
