import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdamW, CrossEntropyLoss, MLP, SGD, defaultGenerator, loadCheckpoint, manualSeed, randn, readSafetensors,
  saveCheckpoint, saveTensors, tensor, tidy, type Hyper, type Optimizer, type Tensor,
} from '../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = randn([6, 10], { seed: 1 });
const y = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int64' });

function makeModel(): MLP {
  manualSeed(42);
  return new MLP({ inFeatures: 10, hidden: [8], numClasses: 3 });
}

function trainSteps(model: MLP, opt: Optimizer<Hyper>, steps: number): void {
  for (let i = 0; i < steps; i++) {
    tidy(() => new CrossEntropyLoss().forward(model.forward(x), y).backward());
    opt.step();
    opt.zeroGrad();
  }
}

function weights(model: MLP): number[] {
  return model.parameters().flatMap((p: Tensor) => Array.from(p.dataSync()));
}

describe.each([
  ['SGD', (m: MLP) => new SGD(m.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }) as Optimizer<Hyper>],
  ['AdamW', (m: MLP) => new AdamW([{ params: m.backboneParameters(), lr: 1e-3 }, { params: m.headParameters() }], { lr: 1e-2 }) as Optimizer<Hyper>],
])('checkpoints with %s', (_name, makeOpt) => {
  it('resuming from a checkpoint continues exactly like the uninterrupted run', async () => {
    const model = makeModel();
    const opt = makeOpt(model);
    trainSteps(model, opt, 3);
    const file = path.join(dir, `run-${_name}.safetensors`);
    defaultGenerator().seed(77);
    const rngBefore = defaultGenerator().getState();
    await saveCheckpoint(file, { model, optimizer: opt, step: 3, scheduler: { name: 'cosine', lastLr: 0.05 }, extra: { epoch: 1 } });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    trainSteps(model, opt, 2);

    const resumed = makeModel();
    const resumedOpt = makeOpt(resumed);
    defaultGenerator().seed(1);
    const loaded = await loadCheckpoint(file, resumed, { optimizer: resumedOpt });
    expect(loaded.step).toBe(3);
    expect(loaded.scheduler).toEqual({ name: 'cosine', lastLr: 0.05 });
    expect(loaded.extra).toEqual({ epoch: 1 });
    expect(defaultGenerator().getState()).toEqual(rngBefore);
    trainSteps(resumed, resumedOpt, 2);
    expect(weights(resumed)).toEqual(weights(model));
  });
});

describe('checkpoint errors', () => {
  it('refuses a file that is not a checkpoint, or an optimizer that does not fit, changing nothing', async () => {
    const model = makeModel();
    const plain = path.join(dir, 'plain.safetensors');
    await saveTensors(plain, model.stateDict());
    await expect(loadCheckpoint(plain, model)).rejects.toThrow(/not a Graft checkpoint \(no 'graft\.checkpoint' metadata\)/);

    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    trainSteps(model, opt, 1);
    const file = path.join(dir, 'one.safetensors');
    await saveCheckpoint(file, { model, optimizer: opt, step: 1 });
    const other = makeModel();
    const before = weights(other);
    const wrongOpt = new SGD([{ params: other.backboneParameters() }, { params: other.headParameters() }], { lr: 0.1 });
    await expect(loadCheckpoint(file, other, { optimizer: wrongOpt })).rejects.toThrow(/the state has 1 parameter groups, this optimizer 2/);
    expect(weights(other)).toEqual(before);
    const noOpt = path.join(dir, 'no-opt.safetensors');
    await saveCheckpoint(noOpt, { model, step: 0 });
    await expect(loadCheckpoint(noOpt, other, { optimizer: new SGD(other.parameters(), { lr: 1 }) })).rejects.toThrow(/holds no optimizer state/);
    await expect(saveCheckpoint(file, { model, step: -1 })).rejects.toThrow(/step must be an integer >= 0/);
  });

  it('a corrupt checkpoint is reported by the safetensors validation', async () => {
    const file = path.join(dir, 'corrupt.safetensors');
    await saveCheckpoint(file, { model: makeModel(), step: 2 });
    const { tensors } = await readSafetensors(file);
    expect([...tensors.keys()][0]).toBe('model.body.1.weight');
    writeFileSync(file, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0x7b]));
    await expect(loadCheckpoint(file, makeModel())).rejects.toThrow(/safetensors '.*corrupt\.safetensors': header length 1 is too short/);
  });
});
