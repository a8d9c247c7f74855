/**
 * Image folders, one sub-folder per class (`root/<class>/<image>.png|jpg`), decoded by sharp (libvips).
 * Images are decoded once, in parallel on libuv's thread pool, into uint8 `[c, h, w]` arrays.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { checkIndex, type Dataset, type Sample, type UnlabelledSample } from '../types.js';

type SharpModule = typeof import('sharp');
let sharpModule: Promise<SharpModule['default']> | undefined;

function loadSharp(): Promise<SharpModule['default']> {
  sharpModule ??= import('sharp').then((m) => m.default).catch((err: Error) => {
    sharpModule = undefined;
    throw new Error(`imageFolder: the image decoder 'sharp' could not be loaded (${err.message}); reinstall @graft/data for this platform`);
  });
  return sharpModule;
}

/** Extensions read by {@link imageFolder} (lower case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/**
 * Decodes one PNG or JPEG file into uint8 `[channels, h, w]` (alpha dropped; 1 channel = greyscale, 3 = sRGB).
 * @example
 * const { image, shape } = await decodeImage('cat.jpg', 3); // shape [3, h, w]
 */
export async function decodeImage(file: string, channels: 1 | 3 = 3, size?: readonly [number, number]): Promise<UnlabelledSample> {
  const sharp = await loadSharp();
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    let pipeline = sharp(file, { failOn: 'error' }).removeAlpha();
    if (size) pipeline = pipeline.resize({ height: size[0], width: size[1], fit: 'fill' });
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    decoded = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`decodeImage: cannot decode ${file}: ${(err as Error).message}`);
  }
  const { width: w, height: h, channels: got } = decoded.info;
  if (got !== channels) throw new Error(`decodeImage: ${file} decoded to ${got} channels, expected ${channels}`);
  const plane = h * w;
  const image = new Uint8Array(channels * plane);
  const src = decoded.data;
  // HWC from libvips -> CHW.
  if (channels === 1) image.set(src.subarray(0, plane));
  else for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) image[c * plane + p] = src[p * channels + c] as number;
  return { image, shape: [channels, h, w] };
}

/**
 * Decoded images of an image folder, with their files and class names.
 * @example
 * const ds = await imageFolder('flowers/train', { size: [64, 64] });
 * ds.files[0]; // 'flowers/train/daisy/001.jpg'
 */
export class ImageFolderDataset implements Dataset {
  constructor(
    readonly images: readonly UnlabelledSample[],
    readonly labels: Int32Array,
    readonly files: readonly string[],
    readonly classNames: readonly string[],
  ) {}

  get length(): number {
    return this.labels.length;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, 'ImageFolderDataset');
    const { image, shape } = this.images[index] as UnlabelledSample;
    return { image, shape, label: this.labels[index] as number };
  }

  label(index: number): number {
    checkIndex(index, this.length, 'ImageFolderDataset');
    return this.labels[index] as number;
  }
}

/** Options of {@link imageFolder}. */
export interface ImageFolderOptions {
  /** 1 (greyscale) or 3 (RGB, default). */
  channels?: 1 | 3;
  /** Resize every image to [h, w] while decoding (libvips, fill). */
  size?: readonly [number, number];
  /** Images decoded at the same time (default 8). */
  concurrency?: number;
}

async function listClasses(root: string): Promise<{ classNames: string[]; files: string[]; labels: number[] }> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new Error(`imageFolder: cannot read folder ${root}: ${(err as Error).message}`);
  }
  const classNames = entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  if (classNames.length === 0) throw new Error(`imageFolder: ${root} has no class folders`);
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, name] of classNames.entries()) {
    const dir = join(root, name);
    if (!(await stat(dir)).isDirectory()) throw new Error(`imageFolder: ${dir} is not a folder`);
    const images = (await readdir(dir)).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
    if (images.length === 0) throw new Error(`imageFolder: class folder ${dir} holds no ${IMAGE_EXTENSIONS.join('/')} images`);
    for (const f of images) {
      files.push(join(dir, f));
      labels.push(label);
    }
  }
  return { classNames, files, labels };
}

/**
 * Reads `root/<class>/*.{png,jpg,jpeg}`; classes are the sub-folder names in sorted order. Every image
 * is decoded before this resolves; any unreadable image or empty class folder rejects it, naming the file.
 * @example
 * const train = await imageFolder('data/train', { channels: 3, size: [224, 224] });
 */
export async function imageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const channels = options.channels ?? 3;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const { classNames, files, labels } = await listClasses(root);
  const images: UnlabelledSample[] = new Array(files.length);
  let next = 0;
  const decodeNext = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      images[i] = await decodeImage(files[i] as string, channels, options.size);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, decodeNext));
  return new ImageFolderDataset(images, Int32Array.from(labels), files, classNames);
}
