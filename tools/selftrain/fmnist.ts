/**
 * The FMNIST-transfer self-training protocol (DESIGN.md): the shipped supervised backbone (classes 0-4),
 * target classes 5-9 with K labels per class drawn with a seed, the rest of the target training images
 * as the unlabelled pool (optionally a seeded subset of it), the target test images as the test set.
 * Prints the per-round table: pseudo-labels kept per class and their accuracy, validation and test
 * accuracy, macro-F1, seconds; with --baseline, also a teacher fine-tuned on all K labels per class.
 *
 *   npx vite-node --config vitest.config.ts tools/selftrain/fmnist.ts -- --bundled --k 10 --pool 2000 --rounds 2 [--baseline] [--naive]
 */
import { parseArgs } from 'node:util';
import { loadPretrained, manualSeed, resnet20, type ResNet } from '@graft/core';
import {
  FASHION_MNIST_MEAN, FASHION_MNIST_STD, Subset, UnlabelledPool, fashionMnist, filterClasses, permutation, Rng, sampleKPerClass,
} from '@graft/data';
import { SelfTrainer, evaluateModel, targetSet, trainOnTargets, viewTransforms, type RoundReport } from '@graft/selftrain';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    bundled: { type: 'boolean', default: false }, k: { type: 'string', default: '10' }, seed: { type: 'string', default: '0' },
    pool: { type: 'string', default: '0' }, test: { type: 'string', default: '0' }, rounds: { type: 'string', default: '2' },
    baseline: { type: 'boolean', default: false }, weights: { type: 'string', default: 'weights/resnet20-fmnist04-supervised.safetensors' },
    'student-epochs': { type: 'string' }, threshold: { type: 'string' }, json: { type: 'boolean', default: false },
    naive: { type: 'boolean', default: false },
  },
});
const k = Number(values.k);
const seed = Number(values.seed);
const classes = [5, 6, 7, 8, 9];
const source = values.bundled ? { bundled: true } : {};
const train = filterClasses(await fashionMnist({ split: 'train', ...source }), classes, { remap: true });
const fullTest = filterClasses(await fashionMnist({ split: 'test', ...source }), classes, { remap: true });
const { labelled, pool: fullPool } = sampleKPerClass(train, k, seed);
const pool = Number(values.pool) > 0 ? subsetPool(fullPool, Number(values.pool), seed) : fullPool;
const test = Number(values.test) > 0 ? new Subset(fullTest, permutation(fullTest.length, new Rng(seed, 0x7e57)).slice(0, Number(values.test))) : fullTest;
const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });

async function pretrained(): Promise<ResNet> {
  const m = resnet20({ inChannels: 1, numClasses: classes.length });
  await loadPretrained(m, values.weights, { skip: 'fc' });
  return m;
}

/** The pool items at a seeded subset of positions, ground truth kept for the report. */
function subsetPool(p: UnlabelledPool, size: number, s: number): UnlabelledPool {
  const positions = permutation(p.length, new Rng(s, 0x9001)).slice(0, Math.min(size, p.length)).sort();
  return new UnlabelledPool(train, Array.from(positions, (i) => p.sourceIndices[i] as number));
}

const pct = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);
console.log(`FMNIST-transfer: K=${k}, seed ${seed}, pool ${pool.length}, test ${test.length}, ${values.bundled ? 'bundled subset' : 'full data'}`);
manualSeed(seed);
if (values.baseline) {
  const started = performance.now();
  const m = await pretrained();
  await trainOnTargets(m, targetSet([{ data: labelled }], classes.length), { epochs: 40, batchSize: 32, learningRate: 0.02, transform: views.weak, seed });
  const r = await evaluateModel(m, test, { transform: views.eval });
  console.log(`baseline: teacher fine-tuned on all ${labelled.length} labels: test ${pct(r.accuracy)}, macro-F1 ${pct(r.macroF1)}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  m.dispose();
}
// --naive: the recipe of a plain PyTorch run of the protocol (hard labels above 0.9, no class balance, the student
// fine-tuned from the pretrained weights without noise); the validation stop still decides what is kept.
const naive = values.naive
  ? { pseudo: { adaptive: 'fixed' as const, threshold: 0.9, balance: 'none' as const }, studentInit: 'fresh' as const, labelledRepeat: 1, noise: { dropout: 0, transform: views.weak } }
  : undefined;
const st = new SelfTrainer({
  model: await pretrained(), createStudent: pretrained, labelled, pool, test, transforms: views, rounds: Number(values.rounds), seed,
  pseudo: naive?.pseudo ?? (values.threshold ? { threshold: Number(values.threshold) } : undefined),
  studentInit: naive?.studentInit, labelledRepeat: naive?.labelledRepeat,
  studentTraining: { ...(values['student-epochs'] ? { epochs: Number(values['student-epochs']) } : {}), ...naive?.noise },
  callbacks: { onRound: (r) => console.log(row(r)) },
});
console.log('| round | kept per class | pseudo-label acc. | val acc. | test acc. | test macro-F1 | accepted | s |');
console.log('|---|---|---:|---:|---:|---:|---|---:|');
const result = await st.run();
if (values.json) console.log(JSON.stringify(result.rounds));

function row(r: RoundReport): string {
  const p = r.pseudoLabels;
  return `| ${r.round === 0 ? '0 (teacher)' : r.round} | ${p ? p.keptPerClass.join(' / ') : '-'} | ${pct(p?.accuracy)} | ${pct(r.validation.accuracy)} | ${pct(r.test?.accuracy)} | ${pct(r.test?.macroF1)} | ${r.accepted ? 'yes' : 'no'} | ${r.seconds.toFixed(1)} |`;
}
