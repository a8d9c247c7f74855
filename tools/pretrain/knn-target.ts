/**
 * Frozen-feature check of the shipped backbones on the transfer target: a 20-NN vote (cosine) over the
 * features of the target classes' training images, scored on their test images, for each backbone in
 * weights/ and for a randomly initialised ResNet-20 (seed 0). No training; labels of classes 5-9 are
 * used only to score.
 *
 *   npx vite-node --config vitest.config.ts tools/pretrain/knn-target.ts -- --classes 5,6,7,8,9 --bank 10000
 */
import { parseArgs } from 'node:util';
import { loadPretrained, manualSeed, resnet20 } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, compose, fashionMnist, filterClasses, normalise, toFloat } from '@graft/data';
import { knnAccuracy } from '@graft/finetune';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { classes: { type: 'string', default: '5,6,7,8,9' }, bank: { type: 'string', default: '10000' } },
});
const classes = values.classes.split(',').map(Number);
const train = filterClasses(await fashionMnist({ split: 'train' }), classes, { remap: true });
const test = filterClasses(await fashionMnist({ split: 'test' }), classes, { remap: true });
const bank = new Subset(train, Int32Array.from({ length: Math.min(Number(values.bank), train.length) }, (_, i) => i));
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
console.log(`classes ${classes.join(',')}: bank ${bank.length} training images, ${test.length} test images, 20-NN`);
for (const name of ['random init (seed 0)', 'resnet20-fmnist04-supervised', 'resnet20-fmnist-simclr']) {
  manualSeed(0);
  const model = resnet20({ inChannels: 1, numClasses: classes.length });
  if (!name.startsWith('random')) await loadPretrained(model, `weights/${name}.safetensors`, { skip: 'fc' });
  const acc = await knnAccuracy(model, bank, test, plain, { k: 20 });
  console.log(`${name.padEnd(30)} ${(100 * acc).toFixed(2)}%`);
  model.dispose();
}
