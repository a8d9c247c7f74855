/**
 * The data model of @graft/data: samples and batches are plain typed arrays with a shape, so they cross
 * worker threads cheaply and stay independent of any tensor library.
 */

/** Pixel or feature storage: raw bytes as read from a file, or float32 after {@link toFloat}. */
export type ImageArray = Uint8Array | Float32Array;

/** Element type of an {@link ImageArray}. */
export type ImageDType = 'uint8' | 'float32';

/**
 * One item without a label: `image` holds `shape` elements, C order. Images are `[c, h, w]`; feature
 * vectors (CSV, npy) are `[f]`.
 * @example
 * const item: UnlabelledSample = { image: new Uint8Array(784), shape: [1, 28, 28] };
 */
export interface UnlabelledSample {
  image: ImageArray;
  shape: readonly number[];
}

/**
 * One labelled item; `label` is a class index in [0, numClasses).
 * @example
 * const item: Sample = { image: new Uint8Array(784), shape: [1, 28, 28], label: 3 };
 */
export interface Sample extends UnlabelledSample {
  label: number;
}

/**
 * A random-access labelled dataset. `label(i)` must equal `get(i).label` but may skip reading the image.
 * @example
 * const ds: Dataset = new TensorDataset(new Uint8Array(2 * 4), [2, 1, 2, 2], Int32Array.from([0, 1]));
 * ds.get(1).label; // 1
 */
export interface Dataset {
  readonly length: number;
  get(index: number): Sample;
  label(index: number): number;
  /** Class names indexed by label, where the source names them. */
  readonly classNames?: readonly string[];
}

/**
 * A random-access dataset whose items carry no label (an unlabelled pool).
 * @example
 * const pool: UnlabelledDataset = { length: 1, get: () => ({ image: new Uint8Array(4), shape: [1, 2, 2] }) };
 */
export interface UnlabelledDataset {
  readonly length: number;
  get(index: number): UnlabelledSample;
}

/**
 * A batch of unlabelled items: `images` holds `shape = [n, ...itemShape]` elements (`[n, c, h, w]` for
 * images); `indices[j]` is the dataset index of item j.
 * @example
 * const b: UnlabelledBatch = { images: new Float32Array(2 * 784), shape: [2, 1, 28, 28], indices: Int32Array.from([5, 9]) };
 */
export interface UnlabelledBatch {
  images: ImageArray;
  shape: number[];
  indices: Int32Array;
}

/**
 * A batch of labelled items.
 * @example
 * const b: Batch = { images: new Float32Array(784), shape: [1, 1, 28, 28], labels: Int32Array.from([3]), indices: Int32Array.from([0]) };
 */
export interface Batch extends UnlabelledBatch {
  labels: Int32Array;
}

/**
 * Number of elements of a shape.
 * @example
 * shapeSize([2, 1, 28, 28]); // 1568
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The dtype name of an image array.
 * @example
 * dtypeOf(new Uint8Array(1)); // 'uint8'
 */
export function dtypeOf(image: ImageArray): ImageDType {
  return image instanceof Uint8Array ? 'uint8' : 'float32';
}

/** Throws a RangeError unless `index` is an integer in [0, length). */
export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${what}: index ${index} is out of range for a dataset of length ${length}`);
  }
}
