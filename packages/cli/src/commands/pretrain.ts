/**
 * `graft pretrain`: pre-trains a ResNet-20 backbone on Fashion-MNIST (supervised on source classes,
 * SimCLR or a denoising autoencoder) through @graft/finetune's pretrainFashionMnist, and writes the
 * backbone with its model card.
 */
import { pretrainFashionMnist, type PretrainTask } from '@graft/finetune';
import { DATA_DIR_NOTE, requireFashionMnistDir } from '../data.js';
import { DATA_FLAGS, classesFlag, numberFlag, stringFlag } from '../flags.js';
import { resolveDevice } from '../model.js';
import { DEBIAN_FASHION_MNIST_DIR } from '@graft/data';
import { Progress } from '../progress.js';
import { percent } from '../report/html.js';
import { timestampedDir } from './quickstart.js';
import { jsonLine, type Command } from './types.js';

/** The `pretrain` command. */
export const pretrainCommand: Command = {
  spec: {
    name: 'pretrain',
    summary: 'Pre-train a ResNet-20 backbone on Fashion-MNIST (supervised, SimCLR or denoising) and write it with its model card.',
    description: `Supervised pre-training uses the source classes (--classes, default 0-4); SimCLR and denoising use every training image without labels. ${DATA_DIR_NOTE}`,
    flags: [
      { name: 'task', type: 'string', choices: ['supervised', 'simclr', 'denoising'], description: 'Objective.', defaultText: 'supervised' },
      { name: 'out', type: 'string', valueName: 'BASE', description: 'Output file base: BASE.safetensors, BASE.json, BASE.md.', defaultText: 'runs/pretrain-<time>/resnet20-<task>' },
      { name: 'classes', type: 'list', valueName: 'LIST', description: 'Source classes of supervised pre-training.', defaultText: '0,1,2,3,4' },
      { name: 'epochs', type: 'integer', description: 'Passes over the training images.', defaultText: '1' },
      { name: 'batch-size', type: 'integer', description: 'Images per step.', defaultText: '128' },
      { name: 'lr', type: 'number', description: 'Peak learning rate (SGD, cosine).', defaultText: '0.05' },
      { name: 'weight-decay', type: 'number', description: 'Weight decay.', defaultText: '5e-4' },
      { name: 'max-steps', type: 'integer', description: 'Stop after this many steps.' },
      { name: 'seed', type: 'integer', description: 'Seed.', defaultText: '0' },
      { name: 'device', type: 'string', valueName: 'DEV', description: 'cpu, cuda, cuda:N or auto.', defaultText: 'auto' },
      ...DATA_FLAGS,
    ],
    examples: [
      'graft pretrain --task supervised --epochs 6 --lr 0.1 --full --out weights/my-resnet20',
      'graft pretrain --task simclr --epochs 2 --full',
      'graft pretrain --task denoising --max-steps 50      # bundled subset, a quick look',
    ],
  },
  async run(parsed, io) {
    const f = parsed.flags;
    resolveDevice(stringFlag(f, 'device'));
    const task = (stringFlag(f, 'task') ?? 'supervised') as PretrainTask;
    const dataDir = stringFlag(f, 'dataDir') ?? (f['full'] === true ? DEBIAN_FASHION_MNIST_DIR : undefined);
    if (dataDir) requireFashionMnistDir(dataDir);
    const progress = new Progress({ write: io.stderr, isTTY: io.stderrIsTTY }, `pretrain ${task}`, { imagesPerStep: numberFlag(f, 'batchSize', 128) });
    const card = await pretrainFashionMnist({
      task, out: stringFlag(f, 'out') ?? `${timestampedDir('pretrain')}/resnet20-${task}`,
      classes: classesFlag(f, [0, 1, 2, 3, 4]), dir: dataDir, bundled: dataDir === undefined,
      epochs: numberFlag(f, 'epochs', 1), batchSize: numberFlag(f, 'batchSize', 128), lr: numberFlag(f, 'lr', 0.05),
      weightDecay: numberFlag(f, 'weightDecay', 5e-4), seed: numberFlag(f, 'seed', 0),
      maxSteps: typeof f['maxSteps'] === 'number' ? f['maxSteps'] : undefined,
      command: `graft ${['pretrain', ...process.argv.slice(3)].join(' ')}`,
      onStep: (s) => progress.update(s.step, s.totalSteps, s.loss),
    });
    const accuracy = card.sourceTestAccuracy === null ? 'not measured' : percent(card.sourceTestAccuracy);
    progress.finish(`source-test accuracy ${accuracy}`);
    io.stdout(parsed.json ? jsonLine(card) : `${task}: ${card.steps} steps, source-test accuracy ${accuracy} (${card.accuracyMethod})\n`);
    return 0;
  },
};
