/**
 * Turning dataset items into a batch: transform each item with its own generator, then stack. The same
 * code runs on the main thread (workers: 0) and in worker threads, so both give identical batches.
 */
import { sampleRng } from './random.js';
import type { Transform } from './transforms/types.js';
import { dtypeOf, shapeSize, type ImageArray, type UnlabelledSample } from './types.js';

/**
 * Applies `transform` to each item with the generator of (seed, epoch, dataset index).
 * @example
 * const out = transformItems([ds.get(4)], Int32Array.of(4), horizontalFlip(), 0, 0);
 */
export function transformItems(items: UnlabelledSample[], indices: Int32Array, transform: Transform | undefined, seed: number, epoch: number): UnlabelledSample[] {
  if (!transform) return items;
  return items.map((item, j) => transform.apply(item, sampleRng(seed, epoch, indices[j] as number)));
}

/**
 * Stacks items of one shape and dtype into `[n, ...shape]`; `indices` name the items in errors.
 * @example
 * const { images, shape } = stack([a, b], Int32Array.of(0, 1)); // shape [2, ...a.shape]
 */
export function stack(items: UnlabelledSample[], indices: Int32Array): { images: ImageArray; shape: number[] } {
  const first = items[0];
  if (!first) return { images: new Float32Array(0), shape: [0] };
  const dtype = dtypeOf(first.image);
  const size = shapeSize(first.shape);
  const images = dtype === 'uint8' ? new Uint8Array(items.length * size) : new Float32Array(items.length * size);
  items.forEach((item, j) => {
    const same = item.shape.length === first.shape.length && item.shape.every((d, k) => d === first.shape[k]);
    if (!same || dtypeOf(item.image) !== dtype) {
      throw new Error(
        `DataLoader: item at dataset index ${indices[j]} is ${dtypeOf(item.image)} [${item.shape.join(', ')}] but item at index ${indices[0]} is ${dtype} [${first.shape.join(', ')}]; ` +
          'items of a batch must match (add resize or centerCrop to the transform)',
      );
    }
    if (item.image.length !== size) throw new Error(`DataLoader: item at dataset index ${indices[j]} has ${item.image.length} elements for shape [${item.shape.join(', ')}]`);
    images.set(item.image, j * size);
  });
  return { images, shape: [items.length, ...first.shape] };
}

/** Raw items packed into two transferable buffers (uint8 and float32) for a worker thread. */
export interface PackedItems {
  u8: Uint8Array;
  f32: Float32Array;
  /** Per item: 0 = uint8, 1 = float32. */
  kinds: Uint8Array;
  offsets: Int32Array;
  shapes: number[][];
}

/**
 * Packs items so a worker can receive them with one transfer.
 * @example
 * const packed = packItems([ds.get(0), ds.get(1)]);
 */
export function packItems(items: UnlabelledSample[]): PackedItems {
  let u8Len = 0;
  let f32Len = 0;
  for (const it of items) {
    if (it.image instanceof Uint8Array) u8Len += it.image.length;
    else f32Len += it.image.length;
  }
  const packed: PackedItems = {
    u8: new Uint8Array(u8Len), f32: new Float32Array(f32Len), kinds: new Uint8Array(items.length),
    offsets: new Int32Array(items.length), shapes: [],
  };
  let u8At = 0;
  let f32At = 0;
  items.forEach((it, j) => {
    packed.shapes.push([...it.shape]);
    if (it.image instanceof Uint8Array) {
      packed.offsets[j] = u8At;
      packed.u8.set(it.image, u8At);
      u8At += it.image.length;
    } else {
      packed.kinds[j] = 1;
      packed.offsets[j] = f32At;
      packed.f32.set(it.image, f32At);
      f32At += it.image.length;
    }
  });
  return packed;
}

/**
 * The items of {@link packItems}, as views into its buffers.
 * @example
 * const items = unpackItems(packItems([ds.get(0)]));
 */
export function unpackItems(p: PackedItems): UnlabelledSample[] {
  return p.shapes.map((shape, j) => {
    const at = p.offsets[j] as number;
    const n = shapeSize(shape);
    return { image: p.kinds[j] ? p.f32.subarray(at, at + n) : p.u8.subarray(at, at + n), shape };
  });
}
