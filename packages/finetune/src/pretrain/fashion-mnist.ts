/**
 * Pre-training a CIFAR-style ResNet-20 on Fashion-MNIST end to end: data, objective, source-test
 * accuracy, and the backbone written with its model card. `tools/pretrain/fmnist.ts` and the
 * `graft pretrain` command call this.
 */
import { manualSeed, resnet20, type Device } from '@graft/core';
import {
  FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, compose, fashionMnist, filterClasses, horizontalFlip, normalise,
  randAugment, randomCrop, randomErasing, toFloat, withoutLabels, type Dataset,
} from '@graft/data';
import { savePretrained, type ModelCard, type PretrainTask } from './card.js';
import { sourceAccuracy, type PretrainLoopOptions, type PretrainRun } from './common.js';
import { pretrainDenoising } from './denoising.js';
import { knnAccuracy } from './knn.js';
import { pretrainSimclr } from './simclr.js';
import { pretrainSupervised } from './supervised.js';

/** Options of {@link pretrainFashionMnist}. */
export interface FashionMnistPretrainOptions extends PretrainLoopOptions {
  task: PretrainTask;
  /** File base of the output: `<out>.safetensors`, `<out>.json`, `<out>.md`. */
  out: string;
  /** Supervised: the source classes (default 0-4), remapped to 0..K-1. */
  classes?: readonly number[];
  /** Folder of the IDX files (default: Debian's), or the bundled subset. */
  dir?: string;
  bundled?: boolean;
  /** SimCLR temperature (default 0.5); denoising noise std in normalised units (default 0.5). */
  temperature?: number;
  noiseStd?: number;
  /** The command line that reproduces the run, written into the card. */
  command: string;
  /**
   * Measure the source-test accuracy (default true). False skips it (the card says 'not measured'):
   * the 20-NN vote of SimCLR and denoising embeds 10,000 + all test images, which dominates a short run.
   */
  measureAccuracy?: boolean;
  /** Where to train (default the CPU); the model is initialised on the host, so the start is the same everywhere. */
  device?: Device;
}

/** What the card says when the accuracy was not measured. */
const NOT_MEASURED = 'not measured';

const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));

async function load(o: FashionMnistPretrainOptions): Promise<{ train: Dataset; test: Dataset; data: string }> {
  const source = o.dir !== undefined ? { dir: o.dir } : o.bundled ? { bundled: true } : {};
  const data = o.dir ?? (o.bundled ? 'Fashion-MNIST bundled subset' : 'Fashion-MNIST (Debian dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)');
  return { train: await fashionMnist({ split: 'train', ...source }), test: await fashionMnist({ split: 'test', ...source }), data };
}

/**
 * Pre-trains ResNet-20 (1x28x28) with `task` and writes the backbone and its card; returns the card.
 * Supervised trains on the training images of `classes` and measures the head on their test images;
 * SimCLR and denoising train on every training image without labels and measure a 20-NN vote of
 * frozen features (bank: the first 10,000 training images) on all test images.
 * @example
 * const card = await pretrainFashionMnist({ task: 'supervised', classes: [0, 1, 2, 3, 4], epochs: 6, lr: 0.1,
 *   out: 'weights/resnet20-fmnist04-supervised', command: 'npx vite-node ... --task supervised' });
 */
export async function pretrainFashionMnist(o: FashionMnistPretrainOptions): Promise<ModelCard> {
  const seed = o.seed ?? 0;
  const { train, test, data } = await load(o);
  manualSeed(seed);
  const common = { command: o.command, seed, epochs: o.epochs ?? 1, batchSize: o.batchSize ?? 128, lr: o.lr ?? 0.05, model: 'resnet20', task: o.task };
  if (o.task === 'supervised') {
    const classes = o.classes ?? [0, 1, 2, 3, 4];
    const source = filterClasses(train, classes, { remap: true });
    const sourceTest = filterClasses(test, classes, { remap: true });
    const model = resnet20({ inChannels: 1, numClasses: classes.length }).to(o.device ?? 'cpu');
    const augment = compose(randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
    const run = await pretrainSupervised(model, source, { ...o, transform: augment });
    const measure = o.measureAccuracy ?? true;
    const acc = measure ? await sourceAccuracy(model, sourceTest, plain) : null;
    const card = await savePretrained(model, o.out, {
      ...common, data: `${data}, training images of the listed classes`, trainImages: source.length,
      classes: Object.fromEntries(classes.map((c) => [String(c), FASHION_MNIST_CLASSES[c] ?? String(c)])),
      steps: run.steps, settings: { augmentation: 'randomCrop(28, padding 2), horizontalFlip', weightDecay: o.weightDecay ?? 5e-4 },
      seconds: run.seconds, epochLosses: run.epochLosses, sourceTestAccuracy: acc,
      accuracyMethod: measure ? `top-1 of the trained ${classes.length}-way head on the ${sourceTest.length} test images of these classes` : NOT_MEASURED, created: new Date().toISOString(),
    });
    model.dispose();
    return card;
  }
  const model = resnet20({ inChannels: 1, numClasses: 10 }).to(o.device ?? 'cpu');
  const images = withoutLabels(train);
  let run: PretrainRun;
  let settings: Record<string, number | string>;
  if (o.task === 'simclr') {
    const temperature = o.temperature ?? 0.5;
    const views = compose(randomCrop(28, { padding: 4 }), horizontalFlip(), randAugment({ n: 1, m: 9 }), toFloat(),
      normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD), randomErasing({ p: 0.5 }));
    const res = await pretrainSimclr(model, images, { ...o, transform: views, temperature });
    res.head.dispose();
    run = res.run;
    settings = { temperature, projection: '64-64-32 (BN, ReLU)', views: 'randomCrop(28, padding 4), horizontalFlip, randAugment(n 1, m 9), randomErasing(p 0.5)', weightDecay: o.weightDecay ?? 5e-4 };
  } else {
    const noiseStd = o.noiseStd ?? 0.5;
    const res = await pretrainDenoising(model, images, { ...o, transform: plain, noiseStd });
    res.decoder.dispose();
    run = res.run;
    settings = { noiseStd, decoder: 'conv3x3-BN-ReLU-upsample x2 per halving, conv3x3', weightDecay: o.weightDecay ?? 5e-4 };
  }
  const measure = o.measureAccuracy ?? true;
  const bank = new Subset(train, Int32Array.from({ length: Math.min(10000, train.length) }, (_, i) => i));
  const acc = measure ? await knnAccuracy(model, bank, test, plain, { k: 20 }) : null;
  const card = await savePretrained(model, o.out, {
    ...common, data: `${data}, all training images, labels not used`, trainImages: images.length,
    classes: Object.fromEntries(FASHION_MNIST_CLASSES.map((c, i) => [String(i), c])),
    steps: run.steps, settings, seconds: run.seconds, epochLosses: run.epochLosses, sourceTestAccuracy: acc,
    accuracyMethod: measure ? `20-NN vote (cosine, frozen features) over the first ${bank.length} training images, on the ${test.length} test images, all 10 classes` : NOT_MEASURED,
    created: new Date().toISOString(),
  });
  model.dispose();
  return card;
}
