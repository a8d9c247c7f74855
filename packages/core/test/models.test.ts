import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MLP, SmallCNN, VGG, cifarResNet, fromFloat32, loadPretrained, manualSeed, noGrad, randn, readSafetensors,
  resnet18, resnet20, resnet50, saveTensors, tensorToRecord, vgg11, writeSafetensors, type TensorRecord,
} from '../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

describe('torchvision names and sizes', () => {
  it('ResNet-20 has exactly the state-dict keys, order and shapes of the PyTorch fixture', async () => {
    const { tensors } = await readSafetensors(path.join(fixtures, 'resnet20.weights.safetensors'));
    const model = resnet20({ inChannels: 1, numClasses: 10 });
    const own = [...model.stateDict()].map(([k, t]) => [k, [...t.shape]]);
    expect(own).toEqual([...tensors].map(([k, r]) => [k, r.shape]));
    // 269,722 for the option-A, 3-channel original; option B adds 2,752, one input channel removes 288.
    expect(model.numParameters()).toBe(272_186);
  });

  it('initialises as torchvision: convs kaiming_normal(fan_out, relu), BN 1/0, VGG Linear N(0, 0.01)', () => {
    const std = (t: { dataSync(): Float32Array }): number => {
      const v = t.dataSync();
      return Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    };
    const model = resnet20({ inChannels: 1 });
    const sd = model.stateDict();
    // 36,864 normal draws: the sample std is within 2% of sqrt(2 / fan_out), fan_out = 64 x 3 x 3.
    expect(std(sd.get('layer3.1.conv1.weight')!) / Math.sqrt(2 / 576)).toBeCloseTo(1, 1);
    expect(Array.from(sd.get('layer2.0.bn1.weight')!.dataSync()).every((v) => v === 1)).toBe(true);
    const vgg = vgg11({ poolSize: 1, hiddenSize: 256, numClasses: 10 });
    expect(std(vgg.stateDict().get('classifier.3.weight')!) / 0.01).toBeCloseTo(1, 1);
    expect(Array.from(vgg.stateDict().get('features.0.bias')!.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('ResNet-18/50 match torchvision parameter counts and names', () => {
    const r18 = resnet18();
    expect(r18.numParameters()).toBe(11_689_512);
    const keys = [...r18.stateDict().keys()];
    expect(keys.length).toBe(122);
    expect(keys.slice(0, 6)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
    expect(keys).toContain('layer2.0.downsample.0.weight');
    expect(keys).toContain('layer4.1.bn2.running_var');
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    r18.dispose();
    const r50 = resnet50({ numClasses: 10 });
    expect(r50.numParameters()).toBe(25_557_032 - 2048 * 990 - 990);
    expect(r50.stateDict().get('layer1.0.conv3.weight')!.shape).toEqual([256, 64, 1, 1]);
    r50.dispose();
  });

  it('VGG-11 (with and without BN) has torchvision layer indices and sizes', () => {
    // The conv stack of VGG-11 has 9,220,480 parameters (torchvision: 132,863,336 - classifier).
    const plain = vgg11({ poolSize: 1, hiddenSize: 64, numClasses: 10 });
    expect(plain.numParameters()).toBe(9_220_480 + (512 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10));
    expect([...plain.stateDict().keys()].slice(-6)).toEqual([
      'classifier.0.weight', 'classifier.0.bias', 'classifier.3.weight', 'classifier.3.bias', 'classifier.6.weight', 'classifier.6.bias',
    ]);
    const bn = vgg11({ batchNorm: true, poolSize: 1, hiddenSize: 64, numClasses: 10 });
    expect(bn.numParameters() - plain.numParameters()).toBe(2 * (64 + 128 + 256 * 2 + 512 * 4));
    expect(bn.stateDict().get('features.1.running_mean')!.shape).toEqual([64]);
    expect(bn.stateDict().get('features.4.weight')!.shape).toEqual([128, 64, 3, 3]);
  });
});

describe('classifier API', () => {
  it('small-input stem, features, head and the parameter split', () => {
    const model = resnet18({ inChannels: 1, numClasses: 7, smallInput: true });
    expect(model.maxpool).toBeNull();
    expect(model.stateDict().get('conv1.weight')!.shape).toEqual([64, 1, 3, 3]);
    const x = randn([2, 1, 8, 8], { seed: 1 });
    model.eval();
    const [feats, logits] = noGrad(() => [model.features(x), model.forward(x)]);
    expect(feats.shape).toEqual([2, 512]);
    expect(logits.shape).toEqual([2, 7]);
    expect(model.headParameters()).toEqual([model.head.weight, model.head.bias]);
    expect(model.backboneParameters().length + 2).toBe(model.parameters().length);
    model.dispose();
  });

  it('replaceHead gives a fresh seeded head and keeps the backbone', () => {
    const model = resnet20({ inChannels: 1, numClasses: 5 });
    const backbone = model.backboneParameters();
    const a = model.replaceHead(10, { seed: 4 });
    expect(model.numClasses).toBe(10);
    expect(model.stateDict().get('fc.weight')!.shape).toEqual([10, 64]);
    expect(model.backboneParameters()).toEqual(backbone);
    const other = resnet20({ inChannels: 1, numClasses: 5 });
    const b = other.replaceHead(10, { seed: 4 });
    expect(Array.from(b.weight.dataSync())).toEqual(Array.from(a.weight.dataSync()));
    const bound = 1 / Math.sqrt(64);
    expect(Math.max(...Array.from(a.weight.dataSync(), Math.abs))).toBeLessThanOrEqual(bound);

    const vgg = new VGG([8, 'M', 16, 'M'], { inChannels: 1, numClasses: 3, poolSize: 1, hiddenSize: 16 });
    expect(vgg.headName).toBe('classifier.6');
    const head = vgg.replaceHead(4, { seed: 1 });
    expect(vgg.classifier.at(6)).toBe(head);
    expect(Array.from(head.bias!.dataSync())).toEqual([0, 0, 0, 0]);
    vgg.eval();
    expect(noGrad(() => vgg.forward(randn([2, 1, 8, 8], { seed: 2 }))).shape).toEqual([2, 4]);
  });

  it('freezing the first stages leaves the rest trainable', () => {
    const model = resnet20({ inChannels: 1 });
    const frozen = model.freeze(['conv1', 'bn1', 'layer1']);
    // conv1.weight, bn1 weight and bias, and 3 blocks of (conv1, bn1 x2, conv2, bn2 x2).
    expect(frozen.length).toBe(1 + 2 + 3 * 6);
    expect(frozen.every((n) => /^(conv1|bn1|layer1)\./.test(n))).toBe(true);
    expect(model.trainableParameters().length).toBe(model.parameters().length - frozen.length);
  });

  it('SmallCNN and MLP run and expose their heads', () => {
    const cnn = new SmallCNN({ inChannels: 1, numClasses: 4, widths: [4, 8, 8] });
    expect(cnn.forward(randn([3, 1, 12, 12], { seed: 3 })).shape).toEqual([3, 4]);
    const mlp = new MLP({ inFeatures: 36, hidden: [16], numClasses: 2, dropout: 0.1 });
    expect(mlp.forward(randn([5, 1, 6, 6], { seed: 4 })).shape).toEqual([5, 2]);
    expect([...mlp.stateDict().keys()]).toEqual(['body.1.weight', 'body.1.bias', 'fc.weight', 'fc.bias']);
    expect(() => cifarResNet(21)).toThrow(/depth must be 6n\+2/);
  });
});

describe('loadPretrained', () => {
  it('loads a torchvision-named file by name, skipping the head, converting F16, ignoring counters', async () => {
    manualSeed(10);
    const source = resnet20({ inChannels: 1, numClasses: 10 });
    const records = new Map<string, TensorRecord>();
    for (const [k, t] of source.stateDict()) {
      if (k.endsWith('num_batches_tracked')) continue;
      const r = tensorToRecord(t);
      records.set(`module.${k}`, k.startsWith('layer3') ? { dtype: 'F16', shape: r.shape, data: fromFloat32('F16', r.data as Float32Array) } : r);
    }
    const file = path.join(dir, 'pre.safetensors');
    await writeSafetensors(file, records);

    const target = resnet20({ inChannels: 1, numClasses: 3 });
    await expect(loadPretrained(target, file)).rejects.toThrow(
      /does not match: shape mismatch: fc\.weight expected \[3, 64\] got \[10, 64\], fc\.bias expected \[3\] got \[10\]/,
    );
    const report = await loadPretrained(target, file, { skip: 'fc' });
    expect(report.skipped).toEqual(['fc.weight', 'fc.bias']);
    expect(report.missing).toEqual([]);
    // Every parameter but the head's, and running mean and variance of 21 batch norms.
    expect(report.loaded.length).toBe(source.parameters().length - 2 + 2 * 21);
    const a = source.stateDict(), b = target.stateDict();
    expect(Array.from(b.get('conv1.weight')!.dataSync())).toEqual(Array.from(a.get('conv1.weight')!.dataSync()));
    const w = a.get('layer3.0.conv1.weight')!.dataSync(), got = b.get('layer3.0.conv1.weight')!.dataSync();
    let worst = 0;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[i] - w[i]) / Math.max(Math.abs(w[i]), 2 ** -14));
    // float16 keeps 11 significant bits: relative error <= 2^-11 (absolute below the normal range).
    expect(worst).toBeLessThanOrEqual(2 ** -11);
  });

  it('non-strict loading reports missing and unexpected keys', async () => {
    const small = resnet20({ inChannels: 1 });
    const file = path.join(dir, 'partial.safetensors');
    const sd = new Map([...small.stateDict()].filter(([k]) => k.startsWith('layer1')));
    sd.set('projector.weight', small.head.weight);
    await saveTensors(file, sd);
    const report = await loadPretrained(resnet20({ inChannels: 1 }), file, { strict: false });
    expect(report.unexpected).toEqual(['projector.weight']);
    expect(report.missing).toContain('conv1.weight');
    expect(report.missing.some((k) => k.endsWith('num_batches_tracked'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
