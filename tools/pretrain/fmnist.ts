/**
 * Pre-trains a CIFAR-style ResNet-20 on Fashion-MNIST with Graft's own code (pretrainFashionMnist,
 * which the `graft pretrain` command also calls) and writes the backbone (safetensors) and its model
 * card (.json, .md) under weights/.
 *
 *   npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- --task supervised --classes 0,1,2,3,4 --epochs 6 --lr 0.1
 *   npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- --task simclr --epochs 2 --lr 0.1
 *
 * Flags: --task supervised|simclr|denoising, --classes (supervised; default 0-4), --epochs, --batch,
 * --lr, --seed, --max-steps, --threads, --temperature (simclr), --noise-std (denoising), --out (file
 * base; default weights/resnet20-fmnist-<task>), --bundled (the small bundled subset, for a smoke run),
 * --skip-accuracy (no source-test accuracy: the card says "not measured").
 *
 * `graft pretrain` (packages/cli) runs the same code with the same settings when given the same
 * flags (its defaults differ: --epochs 1, --lr 0.05, and the bundled subset unless --full);
 * packages/cli/test/commands.test.ts checks that both write the same tensors.
 */
import { parseArgs } from 'node:util';
import { pretrainFashionMnist, type StepInfo } from '@graft/finetune';
import { setNumThreads } from '@graft/native';

const argv = process.argv.slice(2).filter((a) => a !== '--');
const { values } = parseArgs({
  args: argv,
  options: {
    task: { type: 'string', default: 'supervised' },
    classes: { type: 'string', default: '0,1,2,3,4' },
    epochs: { type: 'string', default: '4' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '0' },
    'max-steps': { type: 'string' },
    threads: { type: 'string' },
    temperature: { type: 'string', default: '0.5' },
    'noise-std': { type: 'string', default: '0.5' },
    out: { type: 'string' },
    bundled: { type: 'boolean', default: false },
    'skip-accuracy': { type: 'boolean', default: false },
  },
});
const task = values.task;
if (task !== 'supervised' && task !== 'simclr' && task !== 'denoising') throw new Error(`fmnist: --task must be supervised, simclr or denoising, got ${task}`);
if (values.threads) setNumThreads(Number(values.threads));
const out = values.out ?? `weights/resnet20-fmnist-${task}`;
console.log(`${task} pre-training of ResNet-20 on Fashion-MNIST -> ${out}`);
const card = await pretrainFashionMnist({
  task, out, classes: values.classes.split(',').map(Number), bundled: values.bundled,
  epochs: Number(values.epochs), batchSize: Number(values.batch), lr: Number(values.lr), seed: Number(values.seed),
  maxSteps: values['max-steps'] === undefined ? undefined : Number(values['max-steps']),
  temperature: Number(values.temperature), noiseStd: Number(values['noise-std']), measureAccuracy: !values['skip-accuracy'],
  command: `npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- ${argv.join(' ')}`,
  onStep: (s: StepInfo) => {
    if (s.step % 20 === 0 || s.step === s.totalSteps) {
      console.log(`epoch ${s.epoch} step ${s.step}/${s.totalSteps} loss ${s.loss.toFixed(4)} lr ${s.lr.toFixed(4)} ${s.seconds.toFixed(0)} s`);
    }
  },
});
const accuracy = card.sourceTestAccuracy === null ? 'not measured' : `${(100 * card.sourceTestAccuracy).toFixed(2)}% (${card.accuracyMethod})`;
console.log(`source-test accuracy ${accuracy} after ${card.steps} steps, ${(card.seconds / 60).toFixed(1)} min`);
console.log(`wrote ${out}.safetensors (${card.tensors} tensors), ${out}.json, ${out}.md`);
