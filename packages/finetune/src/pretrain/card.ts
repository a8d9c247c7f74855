/**
 * Saving a pre-trained backbone: safetensors with torchvision-style names (the head dropped) and a
 * model card beside it, as JSON (for programs) and markdown (for people).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { saveTensors, type Classifier } from '@graft/core';
import { writeJsonAtomic } from '../files.js';
import { backboneStateDict } from './common.js';

/** The pre-training objectives. */
export type PretrainTask = 'supervised' | 'simclr' | 'denoising';

/** What a model card says about the weights beside it. */
export interface ModelCard {
  /** Architecture, e.g. 'resnet20'. */
  model: string;
  task: PretrainTask;
  /** Where the training images came from, e.g. 'Fashion-MNIST train (Debian dataset-fashion-mnist)'. */
  data: string;
  /** Source classes used (all for self-supervised runs), as label: name. */
  classes: Record<string, string>;
  trainImages: number;
  /** The command that reproduces the file. */
  command: string;
  /** Another command that runs the same code with the same settings (e.g. the tools script beside `graft pretrain`). */
  alternativeCommand?: string;
  seed: number;
  epochs: number;
  steps: number;
  batchSize: number;
  lr: number;
  /** Objective settings, e.g. { temperature: 0.2 } or { noiseStd: 0.3 }. */
  settings: Record<string, number | string>;
  /** Wall-clock seconds of training. */
  seconds: number;
  /** Mean loss of each epoch. */
  epochLosses: number[];
  /** Accuracy on the source test images, and how it was measured. */
  sourceTestAccuracy: number | null;
  accuracyMethod: string;
  /** Keys of the safetensors file (the head is not among them). */
  tensors: number;
  created: string;
}

function markdown(card: ModelCard, file: string): string {
  const classes = Object.entries(card.classes).map(([k, v]) => `${k} ${v}`).join(', ');
  const acc = card.sourceTestAccuracy === null ? 'not measured' : `${(100 * card.sourceTestAccuracy).toFixed(2)}% (${card.accuracyMethod})`;
  return [
    `# ${card.model}, ${card.task} pre-training`, '',
    `Weights: \`${file}\` (safetensors, torchvision-style names, ${card.tensors} tensors; the pre-training head is dropped).`,
    `Load with \`loadPretrained(resnet20({ inChannels: 1, numClasses: K }), file, { skip: 'fc' })\`.`, '',
    '| field | value |', '|---|---|',
    `| data | ${card.data} |`,
    `| classes | ${classes} |`,
    `| training images | ${card.trainImages} |`,
    `| seed | ${card.seed} |`,
    `| epochs / steps | ${card.epochs} / ${card.steps} |`,
    `| batch size / peak lr | ${card.batchSize} / ${card.lr} (SGD momentum 0.9, cosine decay) |`,
    `| settings | ${Object.entries(card.settings).map(([k, v]) => `${k} ${v}`).join(', ') || '-'} |`,
    `| training time | ${(card.seconds / 60).toFixed(1)} min |`,
    `| loss per epoch | ${card.epochLosses.map((l) => l.toFixed(4)).join(', ')} |`,
    `| source-test accuracy | ${acc} |`,
    `| created | ${card.created} |`, '',
    'Reproduce (from the repository root):', '', '```sh', card.command, '```', '',
    ...(card.alternativeCommand ? ['or, the same code with the same settings:', '', '```sh', card.alternativeCommand, '```', ''] : []),
  ].join('\n');
}

/**
 * Writes `<base>.safetensors` (the backbone: every key but the head's), `<base>.json` (the card) and
 * `<base>.md` (the card for people). `card.tensors` is filled in here.
 * @example
 * await savePretrained(model, 'weights/resnet20-fmnist04-supervised', card);
 */
export async function savePretrained(model: Classifier, base: string, card: Omit<ModelCard, 'tensors'>): Promise<ModelCard> {
  const tensors = backboneStateDict(model);
  const full: ModelCard = { ...card, tensors: tensors.size };
  await mkdir(dirname(base), { recursive: true });
  await saveTensors(`${base}.safetensors`, tensors, { format: 'pt', graft_task: card.task, graft_model: card.model });
  writeJsonAtomic(`${base}.json`, full);
  await writeFile(`${base}.md`, markdown(full, `${base.split('/').pop() ?? base}.safetensors`));
  return full;
}
