/**
 * Shared steps of the PyTorch parity tests: build the model a fixture describes, load its weights,
 * and compare eval logits, train logits, loss, gradients and the state after one SGD step.
 * Fixtures come from tools/fixtures/make_fixtures.py (see its docstring for the file layout).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'vitest';
import { noGrad, tidy } from '../src/index.js';
import { readSafetensors, type TensorRecord } from '../src/io/safetensors.js';
import { loadTensors, recordToTensor } from '../src/io/tensors.js';
import { CrossEntropyLoss } from '../src/nn/loss.js';
import { SGD } from '../src/optim/sgd.js';
import type { Classifier } from '../src/models/classifier.js';
import { resnet18, resnet20 } from '../src/models/resnet.js';
import { VGG, vgg11Bn, type VGGConfig } from '../src/models/vgg.js';
import type { Tensor } from '../src/tensor/tensor.js';

/** The fixture's `config` metadata (the subset the tests read). */
interface FixtureConfig {
  arch: string;
  inChannels: number;
  numClasses: number;
  cfg?: VGGConfig;
  batchNorm?: boolean;
  poolSize?: number;
  hiddenSize?: number;
  dropout?: number;
  lr: number;
  momentum: number;
  weightDecay: number;
}

function build(c: FixtureConfig): Classifier {
  switch (c.arch) {
    case 'resnet20': return resnet20({ inChannels: c.inChannels, numClasses: c.numClasses });
    case 'resnet18': return resnet18({ inChannels: c.inChannels, numClasses: c.numClasses });
    case 'vgg11_bn': return vgg11Bn({ inChannels: c.inChannels, numClasses: c.numClasses, dropout: c.dropout });
    case 'vgg': return new VGG(c.cfg!, {
      batchNorm: c.batchNorm, inChannels: c.inChannels, numClasses: c.numClasses, poolSize: c.poolSize,
      hiddenSize: c.hiddenSize, dropout: c.dropout,
    });
    default: throw new Error(`parity: unknown fixture arch '${c.arch}'`);
  }
}

/**
 * max |a - b| / max(max |b|, floor): error relative to the tensor's scale (the floor keeps tensors
 * that are zero up to rounding, such as the gradient of a conv bias followed by batch norm, from
 * dividing noise by noise).
 */
export function relativeError(a: Tensor, b: Tensor | TensorRecord, floor = 0): number {
  expect([...a.shape]).toEqual([...b.shape]);
  const x = a.dataSync(), y = 'dataSync' in b ? b.dataSync() : (b.data as Float32Array);
  let err = 0, scale = 0;
  for (let i = 0; i < y.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return Math.max(scale, floor) === 0 ? err : err / Math.max(scale, floor);
}

/** Numbers a parity run measured, for the report and the assertions. */
export interface ParityResult {
  logitsEval: number;
  logitsTrain: number;
  loss: number;
  worstGrad: [string, number];
  worstStep: [string, number];
  seconds: number;
}

/** Runs the whole parity check for fixture `name` in `dir`, with the model and batch on `device`. */
export async function runParity(dir: string, name: string, device = 'cpu'): Promise<ParityResult> {
  const file = (kind: string): string => path.join(dir, `${name}.${kind}.safetensors`);
  const weights = await loadTensors(file('weights'));
  const config = JSON.parse(weights.metadata.config) as FixtureConfig;
  const io = (await loadTensors(file('io'))).tensors;
  // Large references stay as records (float32 views of the file), compared without copies.
  const grads = (await readSafetensors(file('grads'))).tensors;
  const stepped = (await readSafetensors(file('step'))).tensors;
  const model = build(config);
  model.loadStateDict(weights.tensors, { strict: true });
  model.to(device);
  const start = performance.now();
  const x = io.get('x')!.to(device), y = io.get('y')!.to(device);

  model.eval();
  const logitsEval = noGrad(() => tidy(() => relativeError(model.forward(x), io.get('logits_eval')!)));
  model.train();
  const [logitsTrain, loss] = tidy(() => {
    const logits = model.forward(x);
    const l = new CrossEntropyLoss().forward(logits, y);
    l.backward();
    return [relativeError(logits, io.get('logits_train')!), Math.abs(l.item() - io.get('loss')!.item()) / Math.abs(io.get('loss')!.item())];
  });
  let worstGrad: [string, number] = ['', 0];
  // Floor: 1e-3 of the largest gradient anywhere in the model. Gradients that are zero in exact
  // arithmetic (a conv bias followed by training-mode batch norm) are rounding noise on both sides.
  let gradFloor = 0;
  for (const g of grads.values()) for (const v of g.data as Float32Array) gradFloor = Math.max(gradFloor, 1e-3 * Math.abs(v));
  for (const [key, p] of model.namedParameters()) {
    expect(p.grad, `gradient of ${key}`).not.toBeNull();
    const e = relativeError(p.grad!, grads.get(key)!, gradFloor);
    if (e >= worstGrad[1]) worstGrad = [key, e];
  }
  new SGD(model.parameters(), { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay }).step();
  let worstStep: [string, number] = ['', 0];
  for (const [key, t] of model.stateDict()) {
    const ref = stepped.get(key)!;
    if (key.endsWith('num_batches_tracked')) {
      expect(t.item(), key).toBe(recordToTensor(ref).item());
      continue;
    }
    const e = relativeError(t, ref, 1e-3);
    if (e >= worstStep[1]) worstStep = [key, e];
  }
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  if (device !== 'cpu') [x, y].forEach((t) => t.dispose());
  for (const m of [weights.tensors, io]) for (const t of m.values()) t.dispose();
  return { logitsEval, logitsTrain, loss, worstGrad, worstStep, seconds };
}

/** A Python with torch and torchvision, or the reason there is none. */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [process.env.GRAFT_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { reason: `no Python with torch and torchvision among ${candidates.join(', ')}` };
}
