/**
 * `graft eval` (accuracy, macro-F1 and confusion matrix of a trained model on Fashion-MNIST classes)
 * and `graft predict` (classes of image files or of a Fashion-MNIST split).
 */
import { extname } from 'node:path';
import { readSafetensors } from '@graft/core';
import { FASHION_MNIST_CLASSES, Subset, decodeImage, filterClasses, type Dataset, type UnlabelledDataset, type UnlabelledSample } from '@graft/data';
import { Trainer, classificationReport, confusionMatrix } from '@graft/finetune';
import { EVAL_TRANSFORM, loadFashionMnist } from '../data.js';
import { DATA_FLAGS, checkFlagRange, classesFlag, numberFlag, stringFlag } from '../flags.js';
import { buildModel, loadWeights, resolveDevice, type ModelName } from '../model.js';
import { UsageError, type FlagSpec, type FlagValue } from '../parse.js';
import { percent } from '../report/html.js';
import { jsonLine, type Command } from './types.js';

const COMMON: readonly FlagSpec[] = [
  { name: 'weights', type: 'string', valueName: 'FILE', description: 'A trained model with its head (e.g. fine-tune.safetensors of a quickstart run).' },
  { name: 'model', type: 'string', description: 'Architecture.', choices: ['resnet20', 'resnet32', 'resnet56'], defaultText: 'resnet20' },
  { name: 'classes', type: 'list', valueName: 'LIST', description: 'Fashion-MNIST classes the head predicts, in order.', defaultText: '5,6,7,8,9 for 5 outputs, 0-9 for 10' },
  { name: 'device', type: 'string', valueName: 'DEV', description: 'cpu, cuda, cuda:N or auto.', defaultText: 'auto' },
  ...DATA_FLAGS,
];

/** Loads a full model (with head) and the class list it predicts. */
async function loadModel(f: Record<string, FlagValue>, command: string) {
  const device = resolveDevice(stringFlag(f, 'device'));
  const weights = stringFlag(f, 'weights');
  if (!weights) throw new UsageError(`'${command}' needs --weights FILE`, command);
  const { tensors } = await readSafetensors(weights).catch((e: Error) => { throw new Error(`cannot read weights ${weights}: ${e.message}`); });
  const head = tensors.get('fc.weight');
  if (!head) throw new Error(`weights ${weights} have no head (fc.weight): a backbone cannot classify; fine-tune it first (graft finetune)`);
  const outputs = head.shape[0] as number;
  const classes = classesFlag(f, outputs === 10 ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : outputs === 5 ? [5, 6, 7, 8, 9] : []);
  if (classes.length !== outputs) throw new UsageError(`the head predicts ${outputs} classes; give --classes with ${outputs} Fashion-MNIST classes`, command);
  const model = buildModel((stringFlag(f, 'model') ?? 'resnet20') as ModelName, outputs, 0, device);
  await loadWeights(model, weights, { skipHead: false });
  return { model, classes, names: classes.map((c) => FASHION_MNIST_CLASSES[c] ?? String(c)) };
}

/** The `eval` command. */
export const evalCommand: Command = {
  spec: {
    name: 'eval',
    summary: 'Accuracy, macro-F1 and confusion matrix of a trained model on Fashion-MNIST test (or train) images.',
    flags: [...COMMON, { name: 'split', type: 'string', choices: ['test', 'train'], description: 'Which images.', defaultText: 'test' }],
    examples: ['graft eval --weights runs/quickstart-1/fine-tune.safetensors', 'graft eval --weights model.safetensors --classes 0,1,2,3,4 --full --json'],
  },
  async run(parsed, io) {
    const f = parsed.flags;
    const { model, classes, names } = await loadModel(f, 'eval');
    try {
      const split = (stringFlag(f, 'split') ?? 'test') as 'test' | 'train';
      const data = filterClasses(await loadFashionMnist(split, { full: f['full'] === true, dataDir: stringFlag(f, 'dataDir') }), classes, { remap: true });
      const trainer = new Trainer({ model, args: { outputDir: '.', evalTransform: EVAL_TRANSFORM, evalBatchSize: 250 } });
      const p = await trainer.predict(data);
      const labels = p.labels ?? new Int32Array(0);
      const report = classificationReport(p.predictions, labels, classes.length);
      const confusion = confusionMatrix(p.predictions, labels, classes.length);
      const result = { split, images: data.length, accuracy: report.accuracy, macroF1: report.macroF1, classNames: names, confusion };
      if (parsed.json) io.stdout(jsonLine(result));
      else {
        const w = Math.max(...names.map((n) => n.length));
        const rows = confusion.map((row, i) => `${(names[i] as string).padEnd(w)}  ${row.map((c) => String(c).padStart(5)).join('')}`);
        io.stdout(`${data.length} ${split} images: accuracy ${percent(report.accuracy)}, macro-F1 ${report.macroF1.toFixed(3)}\n\nconfusion (rows true, columns predicted ${names.map((_, j) => j).join(' ')}):\n${rows.join('\n')}\n`);
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};

/** Image files as an unlabelled dataset (greyscale, resized to 28x28). */
async function imageFiles(files: readonly string[]): Promise<UnlabelledDataset> {
  const items: UnlabelledSample[] = [];
  for (const file of files) {
    if (!['.png', '.jpg', '.jpeg'].includes(extname(file).toLowerCase())) throw new UsageError(`predict: '${file}' is not a .png or .jpg image (or use --split to predict a Fashion-MNIST split)`, 'predict');
    items.push(await decodeImage(file, 1, [28, 28]));
  }
  return { length: items.length, get: (i: number) => items[i] as UnlabelledSample };
}

/** The `predict` command. */
export const predictCommand: Command = {
  spec: {
    name: 'predict',
    summary: 'Predict the classes of image files, or of the first images of a Fashion-MNIST split.',
    positionals: [{ name: 'images', description: '.png or .jpg files (greyscale 28x28 after resizing)', variadic: true }],
    flags: [...COMMON,
      { name: 'split', type: 'string', choices: ['test', 'train'], description: 'Predict this Fashion-MNIST split instead of files.' },
      { name: 'limit', type: 'integer', description: 'Images of the split to predict.', defaultText: '20' }],
    examples: ['graft predict --weights runs/quickstart-1/fine-tune.safetensors shoe.png bag.png', 'graft predict --weights model.safetensors --split test --limit 5 --json'],
  },
  async run(parsed, io) {
    const f = parsed.flags;
    const split = stringFlag(f, 'split') as 'test' | 'train' | undefined;
    if (!split && parsed.positionals.length === 0) throw new UsageError('predict needs image files or --split test|train', 'predict');
    if (split && parsed.positionals.length > 0) throw new UsageError('predict takes image files or --split, not both', 'predict');
    checkFlagRange(f, 'limit', { atLeast: 1 });
    const { model, classes, names } = await loadModel(f, 'predict');
    try {
      let data: Dataset | UnlabelledDataset;
      let labelOf: string[];
      if (split) {
        const all = filterClasses(await loadFashionMnist(split, { full: f['full'] === true, dataDir: stringFlag(f, 'dataDir') }), classes, { remap: true });
        data = new Subset(all, Array.from({ length: Math.min(numberFlag(f, 'limit', 20), all.length) }, (_, i) => i));
        labelOf = Array.from({ length: data.length }, (_, i) => `${split}[${i}]`);
      } else {
        data = await imageFiles(parsed.positionals);
        labelOf = parsed.positionals;
      }
      const trainer = new Trainer({ model, args: { outputDir: '.', evalTransform: EVAL_TRANSFORM, evalBatchSize: 250 } });
      const p = await trainer.predict(data);
      const rows = Array.from(p.predictions, (c, i) => {
        const row = p.logits.subarray(i * p.classes, (i + 1) * p.classes);
        const max = Math.max(...row);
        const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
        return { input: labelOf[i] as string, class: classes[c] as number, name: names[c] as string, confidence: 1 / sum, ...(p.labels ? { trueName: names[p.labels[i] as number] } : {}) };
      });
      io.stdout(parsed.json ? jsonLine({ predictions: rows }) : `${rows.map((r) => `${r.input}: ${r.name} (class ${r.class}, ${percent(r.confidence)})${r.trueName ? `, true ${r.trueName}` : ''}`).join('\n')}\n`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
