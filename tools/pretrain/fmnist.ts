/**
 * Pre-trains a CIFAR-style ResNet-20 on Fashion-MNIST with Graft's own code and writes the backbone
 * (safetensors) and its model card under weights/. The `graft pretrain` command calls the same functions.
 *
 *   npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- --task supervised --classes 0,1,2,3,4 --epochs 4
 *   npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- --task simclr --epochs 2
 *
 * Flags: --task supervised|simclr|denoising, --classes (supervised; default 0-4), --epochs, --batch,
 * --lr, --seed, --max-steps, --threads, --out (file base; default weights/resnet20-fmnist-<task>),
 * --bundled (the small bundled subset, for a smoke run).
 */
import { parseArgs } from 'node:util';
import { manualSeed, resnet20 } from '@graft/core';
import {
  FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, compose, fashionMnist, filterClasses, horizontalFlip, normalise, randAugment,
  randomCrop, randomErasing, toFloat, withoutLabels,
} from '@graft/data';
import { knnAccuracy, pretrainDenoising, pretrainSimclr, pretrainSupervised, savePretrained, sourceAccuracy, type PretrainLoopOptions, type PretrainRun, type StepInfo } from '@graft/finetune';
import { setNumThreads } from '@graft/native';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    task: { type: 'string', default: 'supervised' },
    classes: { type: 'string', default: '0,1,2,3,4' },
    epochs: { type: 'string', default: '4' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '0' },
    'max-steps': { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    temperature: { type: 'string', default: '0.5' },
    'noise-std': { type: 'string', default: '0.5' },
    bundled: { type: 'boolean', default: false },
  },
});
const task = values.task;
if (task !== 'supervised' && task !== 'simclr' && task !== 'denoising') throw new Error(`fmnist: --task must be supervised, simclr or denoising, got ${task}`);
if (values.threads) setNumThreads(Number(values.threads));
const seed = Number(values.seed);
const loop: PretrainLoopOptions = {
  epochs: Number(values.epochs), batchSize: Number(values.batch), lr: Number(values.lr), seed,
  maxSteps: values['max-steps'] === undefined ? undefined : Number(values['max-steps']),
  onStep: (s: StepInfo) => {
    if (s.step % 20 === 0 || s.step === s.totalSteps) {
      console.log(`epoch ${s.epoch} step ${s.step}/${s.totalSteps} loss ${s.loss.toFixed(4)} lr ${s.lr.toFixed(4)} ${s.seconds.toFixed(0)} s`);
    }
  },
};
const source = values.bundled ? { bundled: true } : {};
const data = values.bundled ? 'Fashion-MNIST bundled subset' : 'Fashion-MNIST (Debian dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)';
const command = `npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- ${process.argv.slice(2).filter((a) => a !== '--').join(' ')}`;
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
const out = values.out ?? `weights/resnet20-fmnist-${task}`;

manualSeed(seed);
if (task === 'supervised') {
  const classes = values.classes.split(',').map(Number);
  const train = filterClasses(await fashionMnist({ split: 'train', ...source }), classes, { remap: true });
  const test = filterClasses(await fashionMnist({ split: 'test', ...source }), classes, { remap: true });
  const model = resnet20({ inChannels: 1, numClasses: classes.length });
  const augment = compose(randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
  console.log(`supervised pre-training on classes ${classes.join(',')}: ${train.length} train, ${test.length} test images`);
  const run = await pretrainSupervised(model, train, { ...loop, transform: augment });
  const acc = await sourceAccuracy(model, test, plain);
  console.log(`source-test accuracy ${(100 * acc).toFixed(2)}% after ${run.steps} steps, ${(run.seconds / 60).toFixed(1)} min`);
  const card = await savePretrained(model, out, {
    model: 'resnet20', task, data: `${data}, training images of the listed classes`,
    classes: Object.fromEntries(classes.map((c) => [String(c), FASHION_MNIST_CLASSES[c] ?? String(c)])),
    trainImages: train.length, command, seed, epochs: loop.epochs ?? 1, steps: run.steps, batchSize: loop.batchSize ?? 128,
    lr: loop.lr ?? 0.05, settings: { augmentation: 'randomCrop(28, padding 2), horizontalFlip', weightDecay: 5e-4 },
    seconds: run.seconds, epochLosses: run.epochLosses, sourceTestAccuracy: acc,
    accuracyMethod: `top-1 of the trained 5-way head on the ${test.length} test images of these classes`, created: new Date().toISOString(),
  });
  console.log(`wrote ${out}.safetensors (${card.tensors} tensors), ${out}.json, ${out}.md`);
}

if (task !== 'supervised') {
  // Self-supervised: every training image, labels never read; k-NN on frozen features measures it.
  const trainLabelled = await fashionMnist({ split: 'train', ...source });
  const test = await fashionMnist({ split: 'test', ...source });
  const model = resnet20({ inChannels: 1, numClasses: 10 });
  const images = withoutLabels(trainLabelled);
  let run: PretrainRun;
  let settings: Record<string, number | string>;
  console.log(`${task} pre-training on ${images.length} unlabelled training images`);
  if (task === 'simclr') {
    const temperature = Number(values.temperature);
    const views = compose(randomCrop(28, { padding: 4 }), horizontalFlip(), randAugment({ n: 1, m: 9 }), toFloat(),
      normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD), randomErasing({ p: 0.5 }));
    const res = await pretrainSimclr(model, images, { ...loop, transform: views, temperature });
    res.head.dispose();
    run = res.run;
    settings = { temperature, projection: '64-64-32 (BN, ReLU)', views: 'randomCrop(28, padding 4), horizontalFlip, randAugment(n 1, m 9), randomErasing(p 0.5)', weightDecay: 5e-4 };
  } else {
    const noiseStd = Number(values['noise-std']);
    const res = await pretrainDenoising(model, images, { ...loop, transform: plain, noiseStd });
    res.decoder.dispose();
    run = res.run;
    settings = { noiseStd, decoder: 'conv3x3-BN-ReLU-upsample x2, conv3x3', weightDecay: 5e-4 };
  }
  const bank = new Subset(trainLabelled, Int32Array.from({ length: Math.min(10000, trainLabelled.length) }, (_, i) => i));
  const acc = await knnAccuracy(model, bank, test, plain, { k: 20 });
  console.log(`k-NN source-test accuracy ${(100 * acc).toFixed(2)}% after ${run.steps} steps, ${(run.seconds / 60).toFixed(1)} min`);
  const card = await savePretrained(model, out, {
    model: 'resnet20', task, data: `${data}, all training images, labels not used`,
    classes: Object.fromEntries(FASHION_MNIST_CLASSES.map((c, i) => [String(i), c])),
    trainImages: images.length, command, seed, epochs: loop.epochs ?? 1, steps: run.steps, batchSize: loop.batchSize ?? 128,
    lr: loop.lr ?? 0.05, settings, seconds: run.seconds, epochLosses: run.epochLosses, sourceTestAccuracy: acc,
    accuracyMethod: `20-NN vote (cosine, frozen features) over the first ${bank.length} training images, on the ${test.length} test images, all 10 classes`,
    created: new Date().toISOString(),
  });
  console.log(`wrote ${out}.safetensors (${card.tensors} tensors), ${out}.json, ${out}.md`);
}
