import { describe, expect, it } from 'vitest';
import { BatchNorm2d, cifarResNet, manualSeed, noGrad, resnet20, tensor, tidy, type ResNet } from '@graft/core';
import { TensorDataset } from '@graft/data';
import {
  applyBatchNormPolicy, assessTransfer, discriminativeParamGroups, extractFeatures, findLearningRate, fineTune, fineTuneWithBaseline, freezeStages,
  linearProbe, replaceHead, steepestDescent, toDataset, trainFromScratch, transferStages,
} from '../src/index.js';

/** n images 1x8x8, 3 classes: class k lights a 3x3 patch at one of three places, plus seeded noise. */
function patches(n: number, seed: number): TensorDataset {
  let s = seed >>> 0;
  const rand = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const images = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  const corners = [[1, 1], [1, 4], [4, 2]] as const;
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    labels[i] = k;
    for (let p = 0; p < 64; p++) images[i * 64 + p] = 0.3 * rand();
    const [r0, c0] = corners[k] as readonly [number, number];
    for (let r = r0; r < r0 + 3; r++) for (let c = c0; c < c0 + 3; c++) images[i * 64 + r * 8 + c] += 1;
  }
  return new TensorDataset(images, [n, 1, 8, 8], labels);
}

/** ResNet-8 on 1x8x8 (stem + 3 stages of one block): small enough for many runs in a test. */
function tiny(classes = 3, seed = 0): ResNet {
  manualSeed(seed);
  return cifarResNet(8, { inChannels: 1, numClasses: classes });
}

function values(m: ResNet, prefix = '', convOnly = false): number[] {
  return [...m.namedParameters()].filter(([n, p]) => n.startsWith(prefix) && (!convOnly || p.ndim === 4)).flatMap(([, p]) => Array.from(p.dataSync()));
}

function buffers(m: ResNet): number[] {
  return [...m.namedBuffers()].filter(([n]) => n.endsWith('running_mean') || n.endsWith('running_var')).flatMap(([, b]) => Array.from(b.dataSync() as Float32Array));
}

describe('layers: head, stages, freezing, batch norm, learning rates', () => {
  it('replaces the head with a fresh one sized to the target classes, and refuses a bad size', () => {
    const model = tiny(5);
    const head = replaceHead(model, 7, { seed: 3 });
    expect(model.head).toBe(head);
    expect(head.outFeatures).toBe(7);
    expect(() => replaceHead(model, 0)).toThrow(/replaceHead: numClasses must be an integer >= 1, got 0/);
    expect(() => replaceHead({} as ResNet, 3)).toThrow(/replaceHead: model must be a Classifier/);
  });

  it('lists ResNet stages stem first and freezes the first k of them', () => {
    const model = resnet20({ inChannels: 1, numClasses: 5 });
    expect(transferStages(model).map((s) => s.name)).toEqual(['stem', 'layer1', 'layer2', 'layer3']);
    expect(freezeStages(model, 2)).toEqual(['stem', 'layer1']);
    const trainable = (prefix: string): boolean[] => [...model.namedParameters()].filter(([n]) => n.startsWith(prefix)).map(([, p]) => p.requiresGrad);
    expect(trainable('conv1').concat(trainable('bn1'), trainable('layer1.'))).not.toContain(true);
    expect(trainable('layer2.').concat(trainable('layer3.'), trainable('fc'))).not.toContain(false);
    expect(() => freezeStages(model, 5)).toThrow(/freezeStages: k must be an integer in \[0, 4\].*stem, layer1, layer2, layer3.*got 5/);
    expect(freezeStages(model, 0)).toEqual([]);
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('gives the head its rate, the backbone a tenth, and decays it per stage going down', () => {
    const model = resnet20({ inChannels: 1, numClasses: 5 });
    const groups = discriminativeParamGroups(model, { lr: 0.01, layerDecay: 0.5 });
    // head, stem, layer1, layer2, layer3: 0.01, then 0.001 * 0.5^3, ^2, ^1, ^0.
    expect(groups.map((g) => g.lr)).toEqual([0.01, 0.000125, 0.00025, 0.0005, 0.001].map((v, i) => (i === 0 ? v : 0.001 * 0.5 ** (4 - i))));
    expect(groups[0]?.params).toEqual(model.headParameters());
    expect(groups.reduce((n, g) => n + g.params.length, 0)).toBe(model.parameters().length);
    freezeStages(model, 2);
    expect(discriminativeParamGroups(model, { lr: 0.01 }).map((g) => g.lr)).toEqual([0.01, 0.001, 0.001]);
    expect(() => discriminativeParamGroups(model, { lr: 0 })).toThrow(/options.lr must be a number > 0, got 0/);
    expect(() => discriminativeParamGroups(model, { lr: 0.1, layerDecay: 1.5 })).toThrow(/layerDecay must be in \(0, 1\]/);
  });

  it("'frozen' keeps the running statistics in training mode; 'train' updates them and trains BN in frozen stages", () => {
    const model = tiny();
    const x = tensor(patches(8, 1).images, { shape: [8, 1, 8, 8] });
    const before = buffers(model);
    applyBatchNormPolicy(model, 'frozen');
    model.train();
    tidy(() => noGrad(() => model.forward(x)));
    expect(buffers(model)).toEqual(before);
    freezeStages(model, 4);
    applyBatchNormPolicy(model, 'train');
    tidy(() => noGrad(() => model.forward(x)));
    expect(buffers(model)).not.toEqual(before);
    const bn = [...model.namedModules()].filter(([, m]) => m instanceof BatchNorm2d).flatMap(([, m]) => m.parameters());
    expect(bn.every((p) => p.requiresGrad)).toBe(true);
    expect(model.conv1.weight.requiresGrad).toBe(false);
    expect(() => applyBatchNormPolicy(model, 'keras' as 'frozen')).toThrow(/policy must be 'frozen' or 'train'/);
    x.dispose();
  });
});

describe('feature extraction and linear probe', () => {
  it('computes features once in eval mode and restores the training mode', async () => {
    const model = tiny();
    const data = patches(12, 2);
    model.train();
    const { features, labels } = await extractFeatures(model, data);
    expect(features.shape).toEqual([12, 64]);
    expect(Array.from(labels)).toEqual(Array.from(data.labels));
    expect(model.training).toBe(true);
    model.eval();
    const direct = tidy(() => noGrad(() => Array.from(model.features(tensor(data.images, { shape: [12, 1, 8, 8] })).dataSync())));
    expect(Array.from(features.dataSync())).toEqual(direct);
    features.dispose();
  });

  it('trains only the head on cached features, fast, and folds the standardisation into it', async () => {
    expect((await linearProbe(tiny(), patches(6, 1), { epochs: 2, views: 3 })).history).toHaveLength(2);
    await expect(linearProbe(tiny(), patches(6, 1), { views: 0 })).rejects.toThrow(/linearProbe: options.views must be an integer >= 1, got 0/);
    const model = tiny(5);
    const data = patches(48, 3);
    const backbone = values(model, 'layer');
    const result = await linearProbe(model, data, { numClasses: 3, epochs: 100, views: 1, evalData: patches(30, 4) });
    expect(model.head.outFeatures).toBe(3);
    expect(values(model, 'layer')).toEqual(backbone);
    expect(result.history).toHaveLength(100);
    expect(result.history.every((e) => e.phase === 'probe')).toBe(true);
    // 100 epochs over 48 cached 64-d features: measured 0.1-0.2 s (the forward pass aside) on 2 busy cores.
    expect(result.seconds - result.featureSeconds).toBeLessThan(1.5);
    expect(result.history.at(-1)?.accuracy).toBe(1);
    expect(result.metrics?.['accuracy']).toBe(1);
    // The folded head on raw features reproduces the evaluation the probe scored on standardised ones.
    model.eval();
    const evalSet = patches(30, 4);
    const predicted = tidy(() => noGrad(() => Array.from(model.forward(tensor(evalSet.images, { shape: [30, 1, 8, 8] })).argmax(1).dataSync())));
    expect(predicted).toEqual(Array.from(evalSet.labels));
  });

  it('takes image and label tensors as well as datasets', async () => {
    const data = patches(9, 5);
    const images = tensor(data.images, { shape: [9, 1, 8, 8] });
    const labels = tensor(data.labels, { shape: [9], dtype: 'int32' });
    const ds = toDataset({ images, labels }, 'test', 'data');
    expect(ds.length).toBe(9);
    expect(ds.get(4).label).toBe(1);
    expect(() => toDataset({ images, labels: tensor(Int32Array.from([0, 1]), { shape: [2], dtype: 'int32' }) }, 'fineTune', 'data'))
      .toThrow(/fineTune: data.labels must be \(N\) with N = 9/);
    const r = await linearProbe(tiny(), { images, labels }, { epochs: 3 });
    expect(r.history).toHaveLength(3);
    images.dispose(); labels.dispose();
  });
});

describe('fineTune', () => {
  it('refuses bad input before training starts', async () => {
    const model = tiny(3);
    const data = patches(12, 6);
    const before = values(model);
    const wide = new TensorDataset(data.images, data.shape, Int32Array.from(data.labels, (l) => l + 2));
    await expect(fineTune(model, wide)).rejects.toThrow(/fineTune: the head predicts 3 classes but the labels go up to 4; pass options.numClasses \(5\)/);
    await expect(fineTune(model, data, { lr: 0 })).rejects.toThrow(/fineTune: options.lr must be a number > 0, got 0/);
    await expect(fineTune(model, data, { lr: -1 })).rejects.toThrow(/options.lr must be a number > 0, got -1/);
    await expect(fineTune(model, data, { strategy: 'partial', freezeStages: 5 })).rejects.toThrow(/fineTune: options.freezeStages must be at most 4.*got 5/);
    await expect(fineTune(model, data, { strategy: 'everything' as 'full' })).rejects.toThrow(/options.strategy must be one of lp-ft, full, partial, gradual, linear-probe/);
    await expect(fineTune(model, data, { epochs: 0 })).rejects.toThrow(/options.epochs must be an integer >= 1, got 0/);
    await expect(fineTune(model, data, { batchNorm: 'fixed' as 'frozen' })).rejects.toThrow(/options.batchNorm must be 'frozen' or 'train'/);
    await expect(fineTune(model, data, { numClasses: 0 })).rejects.toThrow(/fineTune: options.numClasses must be an integer >= 1, got 0/);
    await expect(linearProbe(model, wide, { numClasses: 4 })).rejects.toThrow(/linearProbe: the head predicts 4 classes but the labels go up to 4/);
    await expect(fineTuneWithBaseline(model, data, { evalData: data }, { createModel: () => tiny(), scratch: { lr: -2 } }))
      .rejects.toThrow(/trainFromScratch: options.lr must be a number > 0, got -2/);
    expect(model.head.outFeatures).toBe(3);
    await expect(fineTune(model, new TensorDataset(new Float32Array(0), [0, 1, 8, 8], new Int32Array(0)))).rejects.toThrow(/fineTune: data is empty/);
    await expect(findLearningRate(model, data, { maxLr: 1e-7 })).rejects.toThrow(/findLearningRate: options.maxLr must exceed options.minLr/);
    await expect(fineTuneWithBaseline(model, data, {}, { createModel: () => tiny() })).rejects.toThrow(/fineTuneWithBaseline: options.evalData is required/);
    expect(values(model)).toEqual(before);
  });

  it('LP-FT records the probe then the fine-tuning epochs, learns, and repeats bit for bit from a seed', async () => {
    const data = patches(24, 7);
    const run = async (): Promise<{ w: number[]; loss: number[]; acc?: number }> => {
      const model = tiny(4);
      const r = await fineTune(model, data, { numClasses: 3, epochs: 3, batchSize: 8, probe: { epochs: 5 }, evalData: patches(15, 8), augment: null });
      expect(r.history.map((e) => `${e.phase}:${e.epoch}`)).toEqual(['probe:1', 'probe:2', 'probe:3', 'probe:4', 'probe:5', 'fine-tune:6', 'fine-tune:7', 'fine-tune:8']);
      expect(model.training).toBe(false);
      expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
      return { w: values(model), loss: r.history.map((e) => e.loss), acc: r.metrics?.['accuracy'] };
    };
    const a = await run();
    const b = await run();
    expect(a.w).toEqual(b.w);
    expect(a.loss).toEqual(b.loss);
    // Three clearly placed patches: the tiny ResNet gets every evaluation image.
    expect(a.acc).toBe(1);
  });

  it('partial freezing leaves the first stages untouched; gradual unfreezing trains the head alone first', async () => {
    const data = patches(24, 9);
    const model = tiny(3);
    const stem = values(model, 'conv1');
    const stemBn = values(model, 'bn1');
    const deep = values(model, 'layer3');
    await fineTune(model, data, { strategy: 'partial', freezeStages: 2, epochs: 2, batchSize: 8, batchNorm: 'frozen' });
    expect(values(model, 'conv1')).toEqual(stem);
    expect(values(model, 'bn1')).toEqual(stemBn);
    expect(values(model, 'layer3')).not.toEqual(deep);
    // batchNorm 'train' (fastai): convolutions of frozen stages stay, their BN scale and shift train.
    const fastai = tiny(3);
    await fineTune(fastai, data, { strategy: 'partial', freezeStages: 2, epochs: 2, batchSize: 8 });
    expect(values(fastai, 'conv1')).toEqual(stem);
    expect(values(fastai, 'bn1')).not.toEqual(stemBn);

    const other = tiny(3, 1);
    const backboneAfterHead: number[][] = [];
    const r = await fineTune(other, data, {
      strategy: 'gradual', freezeEpochs: 2, epochs: 2, batchSize: 8,
      onEpochEnd: (e) => { if (e.phase === 'head') backboneAfterHead.push(values(other, 'layer', true)); },
    });
    expect(r.history.map((e) => e.phase)).toEqual(['head', 'head', 'fine-tune', 'fine-tune']);
    expect(backboneAfterHead[1]).toEqual(backboneAfterHead[0]);
    expect(values(other, 'layer', true)).not.toEqual(backboneAfterHead[0]);
    const staged = await fineTune(tiny(3, 2), data, { strategy: 'gradual', unfreeze: 'stagewise', freezeEpochs: 1, epochs: 1, batchSize: 8 });
    expect(staged.history.map((e) => e.phase)).toEqual(['head', 'unfreeze-layer3', 'unfreeze-layer2', 'unfreeze-layer1', 'fine-tune']);
    await expect(fineTune(tiny(3), data, { strategy: 'gradual', unfreeze: 'some' as 'all' })).rejects.toThrow(/options.unfreeze must be 'all' or 'stagewise'/);
    // fastai: the unfrozen phase runs at half the rate.
    expect((r.history[2]?.lr ?? 0)).toBeLessThan(0.0051);
  });
});

describe('LR finder and negative-transfer check', () => {
  it('sweeps exponentially, suggests the steepest descent and leaves the model as it was', async () => {
    const model = tiny(3);
    const before = values(model);
    const stats = buffers(model);
    const r = await findLearningRate(model, patches(24, 10), { steps: 40, batchSize: 8, minLr: 1e-5, maxLr: 10 });
    expect(r.lrs[0]).toBeCloseTo(1e-5, 12);
    for (let i = 1; i < r.lrs.length; i++) expect((r.lrs[i] as number) / (r.lrs[i - 1] as number)).toBeCloseTo(1e6 ** (1 / 39), 9);
    expect(r.losses).toHaveLength(r.lrs.length);
    expect(r.suggestion).toBeGreaterThan(1e-5);
    expect(r.suggestion).toBeLessThan(10);
    expect(r.lrs).toContain(r.suggestion);
    expect(values(model)).toEqual(before);
    expect(buffers(model)).toEqual(stats);
    expect(steepestDescent([1e-3, 1e-2, 1e-1, 1], [2.3, 2.2, 1.5, 9])).toBe(0.01);
    // A swing after the minimum (diverging) is not a descent to suggest.
    expect(steepestDescent([1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100], [2.3, 2.0, 1.9, 1.85, 6, 3, 2.5])).toBe(1e-3);
  });

  it('flags a pretrained start that does worse than scratch, with both scores', async () => {
    expect(assessTransfer('accuracy', 0.704, 0.707)).toMatchObject({ negativeTransfer: true, pretrained: 0.704, scratch: 0.707 });
    expect(assessTransfer('accuracy', 0.704, 0.707, 0.01).negativeTransfer).toBe(false);
    expect(assessTransfer('macroF1', 0.9, 0.7).message).toMatch(/transfer helps: .*macroF1 90.00%.*70.00%/);
    // A "pretrained" backbone that carries no information: the stem's batch norm scale and shift are
    // zero, so every image gives the same features and a probe on them is at chance.
    const data = patches(24, 11);
    const source = tiny(3, 2);
    source.bn1.weight?.dataSync().fill(0);
    source.bn1.bias?.dataSync().fill(0);
    const warnings: string[] = [];
    const r = await fineTuneWithBaseline(source, data, { strategy: 'linear-probe', numClasses: 3, evalData: patches(30, 13), probe: { epochs: 30 } }, {
      createModel: () => tiny(3, 3), scratch: { epochs: 6, batchSize: 8, augment: null }, warn: (m) => warnings.push(m),
    });
    expect(r.check.scratch).toBeGreaterThan(r.check.pretrained);
    expect(r.check.negativeTransfer).toBe(true);
    expect(warnings[0]).toMatch(/negative transfer: the pretrained start scores accuracy/);
  });
});
