/**
 * @graft/data: datasets (IDX, CIFAR, image folders, CSV, npy, Fashion-MNIST), splits (k labels per
 * class, unlabelled pool), seeded transforms and a threaded loader. Items and batches are typed arrays
 * with a shape.
 */
export { dtypeOf, shapeSize } from './types.js';
export type { Batch, Dataset, ImageArray, ImageDType, Sample, UnlabelledBatch, UnlabelledDataset, UnlabelledSample } from './types.js';
export { Rng, hashSeed, permutation, sampleRng, shuffleInPlace } from './random.js';
export { TensorDataset, Subset, classCounts, concat, filterClasses, remapLabels } from './dataset.js';
export type { TensorDatasetOptions } from './dataset.js';
export { UnlabelledPool, sampleKPerClass, trainValSplit, withLabels, withoutLabels } from './splits.js';
export type { KPerClassSplit, TrainValOptions } from './splits.js';
export { idxDataset, parseIdx, readIdx } from './formats/idx.js';
export type { IdxArray, IdxDatasetOptions, IdxTensor } from './formats/idx.js';
export { cifar10, cifar100, readCifarBatches } from './formats/cifar.js';
export type { CifarKind } from './formats/cifar.js';
export { npyDataset, parseNpy, readNpy } from './formats/npy.js';
export type { NpyArray, NpyDType, NpyTensor } from './formats/npy.js';
export { csvDataset } from './formats/csv.js';
export type { CsvOptions } from './formats/csv.js';
export { IMAGE_EXTENSIONS, ImageFolderDataset, decodeImage, imageFolder } from './formats/image-folder.js';
export type { ImageFolderOptions } from './formats/image-folder.js';
export {
  BUNDLED_FASHION_MNIST_DIR, DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, fashionMnist,
} from './fashion-mnist.js';
export type { FashionMnistOptions } from './fashion-mnist.js';
export { defaultCacheDir, download, sha256File } from './download.js';
export type { DownloadOptions } from './download.js';
export { IMAGENET_MEAN, IMAGENET_STD, customTransform, horizontalFlip, normalise, toFloat } from './transforms/basic.js';
export { centerCrop, randomCrop, randomErasing, resize } from './transforms/geometric.js';
export type { RandomCropOptions, RandomErasingOptions } from './transforms/geometric.js';
export { RAND_AUGMENT_OPS, applyRandAugmentOp, randAugment } from './transforms/randaugment.js';
export type { RandAugmentOp, RandAugmentOptions } from './transforms/randaugment.js';
export { compose, isPortable, transformFromSpec } from './transforms/compose.js';
export type { Transform, TransformSpec } from './transforms/types.js';
export { stack, transformItems } from './batch.js';
export { DataLoader, createLoader } from './loader.js';
export type { LoaderOptions } from './loader.js';
export { batchToTensors, imagesToTensor } from './tensors.js';
export type { BatchTensors } from './tensors.js';
