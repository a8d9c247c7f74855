import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MLP, manualSeed } from '@graft/core';
import { TensorDataset } from '@graft/data';
import { NonFiniteLossError, Trainer, resolveArguments } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'graft-trainer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
const dir = (): string => join(root, `run-${runs++}`);

/** Three separable blobs in 2-D: class k centred at (cos, sin) of 2*pi*k/3, seeded. */
function blobs(n: number, seed: number, poison = false): TensorDataset {
  let s = seed >>> 0;
  const rand = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const images = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    labels[i] = k;
    images[2 * i] = 2 * Math.cos((2 * Math.PI * k) / 3) + 0.4 * (rand() - 0.5);
    images[2 * i + 1] = 2 * Math.sin((2 * Math.PI * k) / 3) + 0.4 * (rand() - 0.5);
  }
  if (poison) images[0] = Number.NaN;
  return new TensorDataset(images, [n, 2], labels);
}

function model(): MLP {
  manualSeed(1);
  return new MLP({ inFeatures: 2, hidden: [16], numClasses: 3, dropout: 0.1 });
}

function weights(m: MLP): number[] {
  return m.parameters().flatMap((p) => Array.from(p.dataSync()));
}

describe('Trainer', () => {
  it('learns an easy task, evaluates every epoch and logs JSON lines', async () => {
    const outputDir = dir();
    const evals: number[] = [];
    const trainer = new Trainer({
      model: model(), trainData: blobs(96, 1), evalData: blobs(48, 2),
      args: { outputDir, numTrainEpochs: 4, trainBatchSize: 16, learningRate: 0.1, evalStrategy: 'epoch', loggingSteps: 5, lrScheduler: 'cosine' },
      callbacks: { onEvaluate: (m) => evals.push(m.accuracy as number) },
    });
    const result = await trainer.train();
    expect(result.globalStep).toBe(24);
    expect(evals).toHaveLength(4);
    // Three well-separated blobs: a 16-unit MLP gets them all within 24 steps.
    expect(result.metrics?.accuracy).toBe(1);
    const lines = readFileSync(join(outputDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => 'loss' in l).map((l) => l.step)).toEqual([5, 10, 15, 20]);
    expect(lines.filter((l) => 'evalAccuracy' in l)).toHaveLength(4);
    const p = await trainer.predict(blobs(6, 3));
    expect(Array.from(p.predictions)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('resumes from a checkpoint to exactly the weights of an uninterrupted run', async () => {
    const args = { numTrainEpochs: 3, trainBatchSize: 4, learningRate: 0.05, optimizer: 'adamw' as const, lrScheduler: 'linear' as const, warmupSteps: 3, gradientAccumulationSteps: 2, maxGradNorm: 1, saveStrategy: 'steps' as const, saveSteps: 4 };
    const whole = model();
    const dirA = dir();
    await new Trainer({ model: whole, trainData: blobs(40, 4), args: { ...args, outputDir: dirA } }).train();
    const checkpoints = readdirSync(dirA).filter((f) => f.startsWith('checkpoint-')).sort();
    // 40 items in batches of 4, two batches per step: 5 steps an epoch, 15 in all; step 8 is mid-epoch.
    expect(checkpoints).toEqual(['checkpoint-00000004.safetensors', 'checkpoint-00000008.safetensors', 'checkpoint-00000012.safetensors']);
    const resumed = model();
    await new Trainer({ model: resumed, trainData: blobs(40, 4), args: { ...args, outputDir: dir(), resumeFromCheckpoint: join(dirA, checkpoints[1] as string) } }).train();
    expect(weights(resumed)).toEqual(weights(whole));
  });

  it('keeps saveTotalLimit checkpoints plus the best one and can reload the best at the end', async () => {
    const outputDir = dir();
    const trainer = new Trainer({
      model: model(), trainData: blobs(48, 5), evalData: blobs(24, 6),
      args: { outputDir, numTrainEpochs: 5, trainBatchSize: 16, learningRate: 0.1, evalStrategy: 'epoch', saveStrategy: 'epoch', saveTotalLimit: 2, loadBestModelAtEnd: true },
    });
    const result = await trainer.train();
    const left = readdirSync(outputDir).filter((f) => f.startsWith('checkpoint-'));
    expect(left.length).toBeLessThanOrEqual(3);
    expect(result.bestCheckpoint && left.map((f) => join(outputDir, f))).toContain(result.bestCheckpoint);
    const state = JSON.parse(readFileSync(join(outputDir, 'trainer_state.json'), 'utf8'));
    expect(state.bestCheckpoint).toBe(result.bestCheckpoint);
  });

  it('stops early when the metric stops improving', async () => {
    const trainer = new Trainer({
      model: model(), trainData: blobs(48, 7), evalData: blobs(24, 8),
      args: { outputDir: dir(), numTrainEpochs: 50, trainBatchSize: 16, learningRate: 0.2, evalStrategy: 'epoch', earlyStoppingPatience: 2 },
    });
    const result = await trainer.train();
    expect(result.stoppedBy).toBe('earlyStopping');
    expect(result.globalStep).toBeLessThan(150);
  });

  it('stops on a NaN loss with the step number', async () => {
    const trainer = new Trainer({ model: model(), trainData: blobs(16, 9, true), args: { outputDir: dir(), trainBatchSize: 16 } });
    await expect(trainer.train()).rejects.toThrow(NonFiniteLossError);
    await expect(new Trainer({ model: model(), trainData: blobs(16, 9, true), args: { outputDir: dir(), trainBatchSize: 16 } }).train())
      .rejects.toThrow(/the loss became NaN at optimizer step 1/);
  });

  it('rejects bad settings before any training', async () => {
    expect(() => resolveArguments({ outputDir: 'x', learningRate: 0 })).toThrow(/TrainingArguments.learningRate must be a number > 0, got 0/);
    expect(() => resolveArguments({ outputDir: 'x', lrScheduler: 'warp' as never })).toThrow(/lrScheduler must be one of/);
    expect(() => new Trainer({ model: model(), trainData: blobs(9, 1), args: { outputDir: dir(), evalStrategy: 'epoch' } }))
      .toThrow(/evalStrategy 'epoch' needs evalData/);
    const small = new MLP({ inFeatures: 2, hidden: [4], numClasses: 2 });
    await expect(new Trainer({ model: small, trainData: blobs(9, 1), args: { outputDir: dir() } }).train())
      .rejects.toThrow(/the model predicts 2 classes but the training labels go up to 2; replace the head/);
    await expect(new Trainer({ model: model(), trainData: blobs(9, 1), evalData: blobs(9, 2), args: { outputDir: dir(), evalStrategy: 'epoch', metricForBestModel: 'auc' } }).train())
      .rejects.toThrow(/metricForBestModel 'auc' is not computed/);
  });
});
