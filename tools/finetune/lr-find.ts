/**
 * The learning-rate finder on FMNIST-transfer: the shipped supervised backbone under a new 5-way head,
 * K labels per class of classes 5-9 (seed), an exponential sweep of the head's rate (backbone at a
 * tenth); prints the smoothed loss curve every few steps and the suggestion.
 *
 *   npx vite-node --config vitest.config.ts tools/finetune/lr-find.ts -- --bundled --k 10 --seed 0
 */
import { parseArgs } from 'node:util';
import { loadPretrained, manualSeed, resnet20 } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, compose, fashionMnist, filterClasses, normalise, sampleKPerClass, toFloat } from '@graft/data';
import { findLearningRate, linearProbe } from '@graft/finetune';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    bundled: { type: 'boolean', default: false }, k: { type: 'string', default: '10' }, seed: { type: 'string', default: '0' },
    steps: { type: 'string', default: '100' }, probe: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const train = filterClasses(await fashionMnist({ split: 'train', ...(values.bundled ? { bundled: true } : {}) }), [5, 6, 7, 8, 9], { remap: true });
const { labelled } = sampleKPerClass(train, Number(values.k), seed);
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
manualSeed(seed);
const model = resnet20({ inChannels: 1, numClasses: 5 });
await loadPretrained(model, 'weights/resnet20-fmnist04-supervised.safetensors', { skip: 'fc' });
model.replaceHead(5, { seed });
// --probe: sweep from the probed head, as the second stage of LP-FT starts.
if (values.probe) await linearProbe(model, labelled, { transform: plain, seed });
const r = await findLearningRate(model, labelled, { transform: plain, steps: Number(values.steps), seed });
for (let i = 0; i < r.lrs.length; i += 10) console.log(`lr ${(r.lrs[i] as number).toExponential(2)}  smoothed loss ${(r.losses[i] as number).toFixed(4)}`);
console.log(`${r.lrs.length} steps${r.diverged ? ' (stopped: diverged)' : ''}; suggestion ${r.suggestion.toExponential(2)}`);
