/**
 * `graft pretrain`: pre-trains a ResNet-20 backbone on Fashion-MNIST (supervised on source classes,
 * SimCLR or a denoising autoencoder) through @graft/finetune's pretrainFashionMnist, and writes the
 * backbone with its model card.
 */
import { DEBIAN_FASHION_MNIST_DIR } from '@graft/data';
import { pretrainFashionMnist, type FashionMnistPretrainOptions, type PretrainTask } from '@graft/finetune';
import { DATA_DIR_NOTE, requireFashionMnistDir } from '../data.js';
import { DATA_FLAGS, checkFlagRange, classesFlag, numberFlag, stringFlag } from '../flags.js';
import { resolveDevice } from '../model.js';
import type { FlagValue } from '../parse.js';
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
      { name: 'temperature', type: 'number', description: 'SimCLR: temperature of the NT-Xent loss.', defaultText: '0.5' },
      { name: 'noise-std', type: 'number', description: 'Denoising: std of the Gaussian noise, in normalised units.', defaultText: '0.5' },
      { name: 'skip-accuracy', type: 'boolean', description: 'Do not measure the source-test accuracy (SimCLR and denoising embed 10,000 + all test images for it); the card says "not measured".' },
      { name: 'device', type: 'string', valueName: 'DEV', description: 'cpu, cuda, cuda:N or auto.', defaultText: 'auto' },
      ...DATA_FLAGS,
    ],
    examples: [
      'graft pretrain --task supervised --epochs 6 --lr 0.1 --full --out weights/my-resnet20',
      'graft pretrain --task simclr --epochs 2 --full',
      'graft pretrain --task denoising --max-steps 50 --skip-accuracy     # bundled subset, a quick look',
    ],
  },
  async run(parsed, io) {
    const f = parsed.flags;
    const device = resolveDevice(stringFlag(f, 'device'));
    const options = pretrainOptions(f);
    if (options.dir !== undefined) requireFashionMnistDir(options.dir);
    else if (!options.bundled) requireFashionMnistDir(DEBIAN_FASHION_MNIST_DIR);
    const progress = new Progress({ write: io.stderr, isTTY: io.stderrIsTTY }, `pretrain ${options.task}`, { imagesPerStep: options.batchSize });
    const card = await pretrainFashionMnist({
      ...options, device, command: `graft ${['pretrain', ...process.argv.slice(3)].join(' ')}`,
      onStep: (s) => progress.update(s.step, s.totalSteps, s.loss),
    });
    const accuracy = card.sourceTestAccuracy === null ? 'not measured' : percent(card.sourceTestAccuracy);
    progress.finish(`source-test accuracy ${accuracy}`);
    const method = card.sourceTestAccuracy === null ? '' : ` (${card.accuracyMethod})`;
    io.stdout(parsed.json ? jsonLine(card) : `${options.task}: ${card.steps} steps, source-test accuracy ${accuracy}${method}\nwrote ${options.out}.safetensors, .json, .md\n`);
    return 0;
  },
};

/**
 * The options of pretrainFashionMnist that the flags give, with the library's defaults (epochs 1,
 * lr 0.05; tools/pretrain/fmnist.ts defaults to 4 and 0.1, so compare runs with both given). The
 * data source is passed as the tool passes it (Debian's folder is the library's default, not a
 * `dir`), so a run and its model card match the tool's for the same settings.
 * @example
 * pretrainOptions({ task: 'simclr', epochs: 2, lr: 0.1, full: true }); // { task: 'simclr', bundled: false, ... }
 */
function pretrainOptions(f: Record<string, FlagValue>): Omit<FashionMnistPretrainOptions, 'command'> & { batchSize: number } {
  for (const key of ['epochs', 'batchSize', 'maxSteps']) checkFlagRange(f, key, { atLeast: 1 });
  for (const key of ['lr', 'temperature']) checkFlagRange(f, key, { above: 0 });
  for (const key of ['weightDecay', 'noiseStd']) checkFlagRange(f, key, { atLeast: 0 });
  const task = (stringFlag(f, 'task') ?? 'supervised') as PretrainTask;
  const dataDir = stringFlag(f, 'dataDir');
  const full = f['full'] === true || dataDir !== undefined;
  return {
    task, out: stringFlag(f, 'out') ?? `${timestampedDir('pretrain')}/resnet20-${task}`,
    classes: classesFlag(f, [0, 1, 2, 3, 4]), ...(dataDir !== undefined ? { dir: dataDir } : {}), bundled: !full,
    epochs: numberFlag(f, 'epochs', 1), batchSize: numberFlag(f, 'batchSize', 128), lr: numberFlag(f, 'lr', 0.05),
    weightDecay: numberFlag(f, 'weightDecay', 5e-4), seed: numberFlag(f, 'seed', 0),
    maxSteps: typeof f['maxSteps'] === 'number' ? f['maxSteps'] : undefined,
    temperature: numberFlag(f, 'temperature', 0.5), noiseStd: numberFlag(f, 'noiseStd', 0.5),
    measureAccuracy: f['skipAccuracy'] !== true,
  };
}
