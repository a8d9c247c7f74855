/**
 * Linear-probe variants on FMNIST-transfer (target classes 5-9, K labels per class, shipped supervised
 * backbone), each head trained as linearProbe trains it (standardised features, AdamW lr 0.01, batch
 * 64) but on features extracted once per seed, so a grid costs one forward pass per image. Variants:
 * the features (`last`: the pooled last stage, what linearProbe uses; `cat`: the pooled last two
 * stages, 32 + 64), a signed power of the features before standardising (0.5: square root), weight
 * decay, epochs, the extra views' augmentation and number, and AdaBN (batch-norm statistics
 * re-estimated on the labelled images). Prints the test accuracy per variant and seed.
 *
 *   npx vite-node --config vitest.config.ts tools/finetune/probe-explore.ts -- --bundled --aug ra2 --views 16 \
 *     --features last,cat --power 1,0.5 --wd 0.01,0.3 --epochs 100
 *
 * Augmentations (--aug): shiftflip (2-pixel shift + flip), shift, ra (shift + flip + RandAugment(1, 5)),
 * ra1m9, ra2 (RandAugment(2, 9): linearProbe's default since 2026-12-03), ra2m15, ra3, raonly, ra2only.
 */
import { parseArgs } from 'node:util';
import { AdamW, BatchNorm2d, functional as F, Linear, loadPretrained, manualSeed, noGrad, resnet20, tensor, tidy, type ResNet, type Tensor } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, Rng, Subset, compose, createLoader, fashionMnist, filterClasses, imagesToTensor, normalise, permutation, randAugment, randomCrop, horizontalFlip, sampleKPerClass, toFloat, type Dataset, type Transform } from '@graft/data';

const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options: {
  bundled: { type: 'boolean', default: false }, seeds: { type: 'string', default: '0,1,2' }, views: { type: 'string', default: '8' },
  aug: { type: 'string', default: 'shiftflip' }, adabn: { type: 'boolean', default: false }, k: { type: 'string', default: '10' },
  features: { type: 'string', default: 'last' }, power: { type: 'string', default: '1' }, wd: { type: 'string', default: '0.01' },
  epochs: { type: 'string', default: '100' },
} });
const list = (text: string): number[] => text.split(',').map(Number);
const classes = [5, 6, 7, 8, 9];
const source = values.bundled ? { bundled: true } : {};
const train = filterClasses(await fashionMnist({ split: 'train', ...source }), classes, { remap: true });
const test: Dataset = filterClasses(await fashionMnist({ split: 'test', ...source }), classes, { remap: true });
const plain = compose(toFloat(), normalise(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
const V = Number(values.views);

type Feats = { last: Float32Array; s2: Float32Array; labels: Int32Array; n: number };

async function feats(model: ResNet, data: Dataset, transform: Transform, seed: number): Promise<Feats> {
  model.eval();
  const loader = createLoader(data, { batchSize: 256, transform, seed });
  const last: number[] = [], s2: number[] = [], labels: number[] = [];
  for await (const b of loader.epoch(0)) {
    tidy(() => noGrad(() => {
      let y = model.bn1.forward(model.conv1.forward(imagesToTensor(b))).relu();
      y = model.stages[0]!.forward(y);
      y = model.stages[1]!.forward(y);
      s2.push(...y.mean([2, 3]).contiguous().dataSync<'float32'>());
      y = model.stages[2]!.forward(y);
      last.push(...y.mean([2, 3]).contiguous().dataSync<'float32'>());
    }));
    labels.push(...b.labels);
  }
  await loader.close();
  return { last: Float32Array.from(last), s2: Float32Array.from(s2), labels: Int32Array.from(labels), n: labels.length };
}

function augmentOf(name: string): Transform {
  if (name === 'shiftflip') return compose(randomCrop(28, { padding: 2 }), horizontalFlip(), plain);
  if (name === 'ra') return compose(randomCrop(28, { padding: 2 }), horizontalFlip(), randAugment({ n: 1, m: 5 }), plain);
  if (name === 'ra2') return compose(randomCrop(28, { padding: 2 }), horizontalFlip(), randAugment({ n: 2, m: 9 }), plain);
  if (name === 'ra1m9') return compose(randomCrop(28, { padding: 2 }), horizontalFlip(), randAugment({ n: 1, m: 9 }), plain);
  if (name === 'raonly') return compose(randAugment({ n: 1, m: 5 }), plain);
  if (name === 'ra2m15') return compose(randomCrop(28, { padding: 2 }), horizontalFlip(), randAugment({ n: 2, m: 15 }), plain);
  if (name === 'ra3') return compose(randomCrop(28, { padding: 2 }), horizontalFlip(), randAugment({ n: 3, m: 9 }), plain);
  if (name === 'ra2only') return compose(horizontalFlip(), randAugment({ n: 2, m: 9 }), plain);
  if (name === 'shift') return compose(randomCrop(28, { padding: 2 }), plain);
  throw new Error(name);
}

function pick(f: Feats, which: string): { x: Float32Array; d: number } {
  if (which === 'last') return { x: f.last, d: 64 };
  if (which === 's2') return { x: f.s2, d: 32 };
  const x = new Float32Array(f.n * 96);
  for (let i = 0; i < f.n; i++) { x.set(f.s2.subarray(i * 32, i * 32 + 32), i * 96); x.set(f.last.subarray(i * 64, i * 64 + 64), i * 96 + 32); }
  return { x, d: 96 };
}

function standardise(x: Float32Array, d: number, ref: Float32Array, power: number): Float32Array {
  const tr = (v: number): number => (power === 1 ? v : Math.sign(v) * Math.abs(v) ** power);
  const n = ref.length / d;
  const mean = new Float64Array(d), sq = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) { const v = tr(ref[i * d + j]!); mean[j]! += v; sq[j]! += v * v; }
  const out = new Float32Array(x.length);
  for (let j = 0; j < d; j++) { mean[j] = mean[j]! / n; sq[j] = Math.max(Math.sqrt(Math.max(sq[j]! / n - mean[j]! ** 2, 0)), 1e-3); }
  for (let i = 0; i < x.length / d; i++) for (let j = 0; j < d; j++) out[i * d + j] = (tr(x[i * d + j]!) - mean[j]!) / sq[j]!;
  return out;
}

function fit(x: Float32Array, d: number, y: Int32Array, opts: { wd: number; epochs: number; lr: number; bs: number; seed: number }): Linear {
  manualSeed(opts.seed);
  const head = new Linear(d, 5);
  const opt = new AdamW(head.parameters(), { lr: opts.lr, weightDecay: opts.wd });
  const n = y.length;
  const X = tensor(x, { shape: [n, d] });
  for (let e = 0; e < opts.epochs; e++) {
    const order = permutation(n, new Rng(opts.seed, e));
    for (let s = 0; s < n; s += opts.bs) {
      const idx = order.subarray(s, Math.min(n, s + opts.bs));
      tidy(() => {
        const rows = X.indexSelect(0, tensor(idx, { shape: [idx.length], dtype: 'int32' }));
        const loss = F.crossEntropy(head.forward(rows), tensor(Int32Array.from(idx, (i) => y[i]!), { shape: [idx.length], dtype: 'int32' }));
        loss.backward(); opt.step(); opt.zeroGrad();
      });
    }
  }
  X.dispose();
  return head;
}

function acc(head: Linear, x: Float32Array, d: number, y: Int32Array): number {
  const logits = tidy(() => noGrad(() => Float32Array.from(head.forward(tensor(x, { shape: [y.length, d] })).dataSync<'float32'>())));
  let right = 0;
  for (let i = 0; i < y.length; i++) { let b = 0; for (let c = 1; c < 5; c++) if (logits[i * 5 + c]! > logits[i * 5 + b]!) b = c; if (b === y[i]) right++; }
  return right / y.length;
}

async function adaBN(model: ResNet, data: Dataset, seed: number): Promise<void> {
  // Re-estimate BN running statistics on the labelled images: one batch of all of them (8 views),
  // momentum 1 (momentum is read-only in the API; this experiment sets it for the one batch).
  type Momentum = { momentum: number | null };
  const saved: Array<[Momentum, number | null]> = [];
  for (const [, m] of model.namedModules()) if (m instanceof BatchNorm2d) { const b = m as unknown as Momentum; saved.push([b, b.momentum]); b.momentum = 1; }
  model.train();
  const n = data.length;
  const copies = new Subset(data, Int32Array.from({ length: n * 8 }, (_, i) => i % n));
  const loader = createLoader(copies, { batchSize: n * 8, transform: augmentOf('shiftflip'), seed });
  for await (const b of loader.epoch(0)) tidy(() => noGrad(() => { model.features(imagesToTensor(b)); }));
  await loader.close();
  for (const [b, m] of saved) b.momentum = m;
  model.eval();
}

const results: Record<string, number[]> = {};
for (const seed of values.seeds.split(',').map(Number)) {
  const { labelled } = sampleKPerClass(train, Number(values.k), seed);
  manualSeed(seed);
  const model = resnet20({ inChannels: 1, numClasses: 5 });
  await loadPretrained(model, 'weights/resnet20-fmnist04-supervised.safetensors', { skip: 'fc' });
  if (values.adabn) await adaBN(model, labelled, seed);
  const tr0 = await feats(model, labelled, plain, 0);
  const n = labelled.length;
  const copies = new Subset(labelled, Int32Array.from({ length: n * (V - 1) }, (_, i) => i % n));
  const trA = V > 1 ? await feats(model, copies, augmentOf(values.aug), seed) : undefined;
  const te = await feats(model, test, plain, 0);
  const join = (a: Float32Array, b?: Float32Array): Float32Array => { if (!b) return a; const o = new Float32Array(a.length + b.length); o.set(a); o.set(b, a.length); return o; };
  const tr: Feats = { last: join(tr0.last, trA?.last), s2: join(tr0.s2, trA?.s2), labels: Int32Array.from(join(Float32Array.from(tr0.labels), trA ? Float32Array.from(trA.labels) : undefined)), n: n * V };
  for (const which of values.features.split(',')) for (const power of list(values.power)) for (const wd of list(values.wd)) for (const epochs of list(values.epochs)) {
    const a = pick(tr, which), b = pick(te, which);
    const xs = standardise(a.x, a.d, a.x, power), xt = standardise(b.x, b.d, a.x, power);
    const head = fit(xs, a.d, tr.labels, { wd, epochs, lr: 0.01, bs: 64, seed });
    const key = `${which} p=${power} wd=${wd} ep=${epochs}`;
    (results[key] ??= []).push(acc(head, xt, b.d, te.labels));
    head.dispose();
  }
  model.dispose();
  console.log(`seed ${seed} done`);
}
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(30)} mean ${(100 * v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)}  ${v.map((x) => (100 * x).toFixed(2)).join(' / ')}`);
