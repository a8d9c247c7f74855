/**
 * Transfer learning in a page: the shipped ResNet-20 (pretrained on Fashion-MNIST classes 0-4) is
 * fine-tuned on classes 5-9 with 10 labels per class (LP-FT, fineTune's default), then self-trained on
 * the unlabelled rest of the target images. About a minute on 2 CPU cores.
 *
 *   npx vite-node examples/transfer-fashion-mnist.ts     (from the repository root)
 */
import { loadPretrained, manualSeed, resnet20, type ResNet } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, compose, fashionMnist, filterClasses, normalise, sampleKPerClass, toFloat } from '@graft/data';
import { fineTune } from '@graft/finetune';
import { SelfTrainer, viewTransforms } from '@graft/selftrain';

const target = [5, 6, 7, 8, 9];
const train = filterClasses(await fashionMnist({ split: 'train', bundled: true }), target, { remap: true });
const test = filterClasses(await fashionMnist({ split: 'test', bundled: true }), target, { remap: true });
const { labelled, pool } = sampleKPerClass(train, 10, 0);

/** The pretrained backbone under a new 5-class head. */
async function backbone(): Promise<ResNet> {
  const model = resnet20({ inChannels: 1, numClasses: target.length });
  await loadPretrained(model, new URL('../weights/resnet20-fmnist04-supervised.safetensors', import.meta.url).pathname, { skip: 'fc' });
  return model;
}

manualSeed(0);
const transform = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
const tuned = await fineTune(await backbone(), labelled, { transform, evalData: test, evaluate: 'end' });
console.log(`fine-tuned on ${labelled.length} labels: test accuracy ${(100 * (tuned.metrics?.['accuracy'] ?? NaN)).toFixed(1)}%`);
tuned.model.dispose();

const selfTraining = new SelfTrainer({
  model: await backbone(), createStudent: backbone, labelled, pool, test, rounds: 2,
  transforms: viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD }),
});
const { rounds, model } = await selfTraining.run();
for (const r of rounds) {
  const kept = r.pseudoLabels ? `${r.pseudoLabels.keptPerClass.reduce((a, b) => a + b, 0)} pseudo-labels, ` : '';
  console.log(`round ${r.round}: ${kept}test accuracy ${(100 * (r.test?.accuracy ?? NaN)).toFixed(1)}%${r.accepted ? '' : ' (not kept)'}`);
}
model.dispose();
