/**
 * The FMNIST-transfer protocol (shared/DESIGN.md) for the transfer strategies: target classes 5-9,
 * K labelled training images per class drawn with a seed, the target test images as the test set;
 * scratch, linear probe, naive fine-tune and the default recipe (LP-FT) on the same labels, from the
 * shipped supervised backbone (classes 0-4). Prints one JSON line per run and a summary table.
 *
 *   npx vite-node --config vitest.config.ts tools/finetune/fmnist-transfer.ts -- --bundled --k 10,100 --seeds 0,1,2
 *   npx vite-node --config vitest.config.ts tools/finetune/fmnist-transfer.ts -- --k 10,100 --seeds 0,1,2   # full data
 *
 * Flags: --methods scratch,probe,naive,default (also: full, partial, gradual, probe-shift-flip (the
 * probe's views before 2026-12-03), and the ablations default-frozen-bn, default-no-probe,
 * default-no-augment, default-shift-flip-probe), --epochs N (fine-tune and
 * scratch epochs), --test-limit N (score on the first N target test images), --set key=value,... (extra
 * options for the default method and the probe, numbers parsed), --probe key=value,... (the default
 * method's `probe` settings, e.g. views=8), --backbone FILE.
 */
import { parseArgs } from 'node:util';
import { loadPretrained, manualSeed, resnet20 } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, compose, fashionMnist, filterClasses, normalise, sampleKPerClass, toFloat, type Dataset } from '@graft/data';
import { defaultAugment, fineTune, linearProbe, trainFromScratch, type FineTuneOptions, type FineTuneResult, type LinearProbeOptions, type LinearProbeResult } from '@graft/finetune';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    bundled: { type: 'boolean', default: false },
    k: { type: 'string', default: '10' },
    seeds: { type: 'string', default: '0' },
    methods: { type: 'string', default: 'scratch,probe,naive,default' },
    epochs: { type: 'string' },
    'test-limit': { type: 'string' },
    set: { type: 'string', default: '' },
    probe: { type: 'string', default: '' },
    backbone: { type: 'string', default: 'weights/resnet20-fmnist04-supervised.safetensors' },
  },
});

const classes = [5, 6, 7, 8, 9];
const source = values.bundled ? { bundled: true } : {};
const train = filterClasses(await fashionMnist({ split: 'train', ...source }), classes, { remap: true });
let test: Dataset = filterClasses(await fashionMnist({ split: 'test', ...source }), classes, { remap: true });
if (values['test-limit']) test = new Subset(test, Int32Array.from({ length: Math.min(Number(values['test-limit']), test.length) }, (_, i) => i));
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
/** `key=value,...` into an options object, numbers parsed. */
function keyValues(text: string): Record<string, number | string> {
  return Object.fromEntries(text.split(',').filter((s) => s !== '').map((kv) => {
    const [key, value] = kv.split('=') as [string, string];
    return [key, Number.isNaN(Number(value)) ? value : Number(value)];
  }));
}
const extra = keyValues(values.set);
const probeSettings = keyValues(values.probe);

/** The naive recipe (a plain PyTorch run of the protocol): every layer, BN statistics re-estimated, onecycle SGD, backbone lr / 10, no augmentation. */
const NAIVE: FineTuneOptions = { strategy: 'full', batchNorm: 'train', lrScheduler: 'onecycle', warmupRatio: 0, augment: null, lr: 0.01 };

/** The probe's views until 2026-12-03: 8 per image, 2-pixel shift and flip only. */
const SHIFT_FLIP_VIEWS = { views: 8, augment: defaultAugment([1, 28, 28]) };

/** The default recipe with one ingredient changed. */
const ABLATIONS: Record<string, FineTuneOptions> = {
  'default-frozen-bn': { batchNorm: 'frozen' },
  'default-no-probe': { strategy: 'full' },
  'default-no-augment': { augment: null },
  // Shift and flip for the probe's views too (the fine-tune phase's default either way).
  'default-shift-flip-probe': { augment: SHIFT_FLIP_VIEWS.augment, probe: { views: SHIFT_FLIP_VIEWS.views } },
};

async function run(method: string, labelled: Dataset, seed: number): Promise<FineTuneResult | LinearProbeResult> {
  manualSeed(seed);
  const model = resnet20({ inChannels: 1, numClasses: 5 });
  if (method === 'scratch') return trainFromScratch(model, labelled, { transform: plain, evalData: test, seed, epochs, evaluate: 'end' });
  await loadPretrained(model, values.backbone, { skip: 'fc' });
  const common = { numClasses: 5, transform: plain, evalData: test, seed, evaluate: 'end' as const };
  if (method === 'probe') return linearProbe(model, labelled, { numClasses: 5, transform: plain, evalData: test, seed, ...(extra as LinearProbeOptions) });
  if (method === 'probe-shift-flip') return linearProbe(model, labelled, { numClasses: 5, transform: plain, evalData: test, seed, ...SHIFT_FLIP_VIEWS });
  if (method === 'naive') return fineTune(model, labelled, { ...common, ...NAIVE, epochs });
  if (method === 'default') return fineTune(model, labelled, { ...common, epochs, probe: probeSettings as FineTuneOptions['probe'], ...(extra as FineTuneOptions) });
  const ablation = ABLATIONS[method];
  if (ablation !== undefined) return fineTune(model, labelled, { ...common, epochs, ...ablation });
  return fineTune(model, labelled, { ...common, epochs, strategy: method as FineTuneOptions['strategy'] });
}

const rows: Array<{ k: number; method: string; seed: number; accuracy: number; macroF1: number; seconds: number }> = [];
for (const k of values.k.split(',').map(Number)) {
  for (const seed of values.seeds.split(',').map(Number)) {
    const { labelled } = sampleKPerClass(train, k, seed);
    for (const method of values.methods.split(',')) {
      const result = await run(method, labelled, seed);
      const row = { k, method, seed, accuracy: result.metrics?.['accuracy'] ?? NaN, macroF1: result.metrics?.['macroF1'] ?? NaN, seconds: result.seconds };
      rows.push(row);
      console.log(JSON.stringify({ ...row, data: values.bundled ? 'bundled' : 'full', test: test.length, extra, probe: probeSettings }));
      result.model.dispose();
    }
  }
}
console.log('\n| K | method | accuracy (mean ± sd over seeds) | macro-F1 | seconds |\n|---|---|---:|---:|---:|');
for (const k of new Set(rows.map((r) => r.k))) {
  for (const method of new Set(rows.map((r) => r.method))) {
    const sel = rows.filter((r) => r.k === k && r.method === method);
    const stat = (f: (r: (typeof rows)[number]) => number): string => {
      const xs = sel.map(f);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
      return `${(100 * m).toFixed(2)}% ± ${(100 * sd).toFixed(2)}`;
    };
    const secs = sel.reduce((a, r) => a + r.seconds, 0) / sel.length;
    console.log(`| ${k} | ${method} | ${stat((r) => r.accuracy)} | ${stat((r) => r.macroF1)} | ${secs.toFixed(1)} |`);
  }
}
