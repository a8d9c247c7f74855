/**
 * Trains a CIFAR-style ResNet-20 for a few hundred steps on the bundled Fashion-MNIST subset and
 * reports test accuracy: the core and data packages used directly, without the Trainer.
 *
 *   npx vite-node examples/train-fashion-mnist.ts        (from the repository root)
 */
import { SGD, functional as F, noGrad, resnet20, tidy, manualSeed } from '@graft/core';
import { batchToTensors, imagesToTensor, FASHION_MNIST_MEAN, FASHION_MNIST_STD, compose, createLoader, fashionMnist, horizontalFlip, normalise, randomCrop, toFloat } from '@graft/data';

manualSeed(0);
const train = await fashionMnist({ split: 'train', bundled: true });
const test = await fashionMnist({ split: 'test', bundled: true });
const model = resnet20({ inChannels: 1, numClasses: 10 });
const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });

const augment = compose(randomCrop(28, { padding: 2 }), horizontalFlip(), toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
const loader = createLoader(train, { batchSize: 128, shuffle: true, seed: 0, transform: augment, dropLast: true });

model.train();
let step = 0;
for await (const batch of loader) {
  const loss = tidy(() => {
    const { images, labels } = batchToTensors(batch);
    const l = F.crossEntropy(model.forward(images), labels);
    optimizer.zeroGrad();
    l.backward();
    optimizer.step();
    return l.item();
  });
  if (++step % 20 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}`);
}

model.eval();
let correct = 0;
for await (const batch of createLoader(test, { batchSize: 500, transform: plain })) {
  correct += tidy(() => noGrad(() => {
    const logits = model.forward(imagesToTensor(batch));
    const predicted = logits.argmax(1).dataSync<'int32'>();
    return batch.labels.reduce((n, label, i) => n + (predicted[i] === label ? 1 : 0), 0);
  }));
}
console.log(`test accuracy after one epoch: ${((100 * correct) / test.length).toFixed(1)}%`);
