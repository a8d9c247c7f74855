// Training on a CUDA device: the Trainer, the transfer strategies and the pre-training objectives
// put every batch and every tensor they make on the model's device, read results back only through
// dataSync/item, and move new modules (a replaced head, a projection head, a decoder) beside the
// model. They run here on an emulated CUDA device (see packages/core/test/emulated-kernels.ts): the
// device checks and the CUDA backend are the real ones and the kernels the CPU's, so each run must
// match the same run on the CPU bit for bit. The CUDA kernels themselves are checked where a GPU exists.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
vi.mock('@graft/native', async (importOriginal) => (await import('../../core/test/emulated-kernels.js')).emulatedKernels(await importOriginal()));
import { cifarResNet, manualSeed, resnet20, type Device, type Module, type ResNet } from '@graft/core';
import { cudaMemoryStats } from '@graft/native';
import { TensorDataset, batchToTensors, compose, horizontalFlip, imagesToTensor, normalise, randomCrop, stack, toFloat, withoutLabels } from '@graft/data';
import {
  Trainer, extractFeatures, findLearningRate, fineTune, fineTuneWithBaseline, knnAccuracy, linearProbe, pretrainDenoising, pretrainFashionMnist,
  pretrainSimclr, pretrainSupervised, sourceAccuracy, trainFromScratch,
} from '../src/index.js';


/** n uint8 images 1x8x8 of `classes` classes: class k lights band k of rows, plus seeded noise. */
function bands(n: number, classes: number, seed: number): TensorDataset {
  let s = seed >>> 0;
  const rand = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  const images = new Uint8Array(n * 64);
  labels.forEach((c, i) => {
    for (let p = 0; p < 64; p++) images[i * 64 + p] = Math.min(255, (Math.floor(Math.floor(p / 8) / Math.ceil(8 / classes)) === c ? 160 : 20) + Math.floor(60 * rand()));
  });
  return new TensorDataset(images, [n, 1, 8, 8], labels);
}

const plain = compose(toFloat(), normalise([0.3], [0.3]));
const augment = compose(randomCrop(8, { padding: 1 }), horizontalFlip(), toFloat(), normalise([0.3], [0.3]));

function tiny(device: Device, classes = 3): ResNet {
  manualSeed(7);
  return cifarResNet(8, { inChannels: 1, numClasses: classes }).to(device);
}

/** Every parameter and buffer, read back to the host, in name order. */
function weights(model: Module): number[][] {
  return [...model.stateDict()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => Array.from(t.dataSync() as ArrayLike<number>, Number));
}

/** Runs `body` once on the CPU and once on the emulated GPU; returns both results. */
async function onBoth<T>(body: (device: Device) => Promise<T>): Promise<[T, T]> {
  return [await body('cpu'), await body('cuda:0')];
}

describe('batches on a CUDA device', () => {
  it('uint8 images travel as bytes and become the CPU floats there; labels follow', () => {
    const data = bands(5, 3, 1);
    const indices = Int32Array.from([0, 1, 2, 3, 4]);
    const batch = { ...stack(Array.from(indices, (i) => data.get(i)), indices), labels: Int32Array.from(indices, (i) => data.label(i)) };
    const onGpu = batchToTensors(batch, 'cuda:0');
    expect([onGpu.images.device, onGpu.labels.device]).toEqual(['cuda:0', 'cuda:0']);
    expect(onGpu.images.toArray()).toEqual(imagesToTensor(batch).toArray());
    expect(onGpu.labels.toArray()).toEqual(Array.from(batch.labels));
    expect(Math.max(...(onGpu.images.dataSync() as Float32Array))).toBeLessThanOrEqual(1);
  });
});

describe('the Trainer on a CUDA device', () => {
  it('trains, evaluates, checkpoints and resumes where the model is, matching the CPU run', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      const outputDir = mkdtempSync(join(tmpdir(), 'graft-device-'));
      const model = tiny(device);
      const args = {
        outputDir, numTrainEpochs: 2, trainBatchSize: 8, learningRate: 0.05, evalStrategy: 'epoch' as const, saveStrategy: 'epoch' as const,
        maxGradNorm: 1, trainTransform: augment, evalTransform: plain,
      };
      const trainer = new Trainer({ model, trainData: bands(24, 3, 1), evalData: bands(12, 3, 2), args });
      const result = await trainer.train();
      expect(model.device).toBe(device);
      const checkpoints = readdirSync(outputDir).filter((f) => f.startsWith('checkpoint-')).sort();
      const resumed = tiny(device);
      await new Trainer({ model: resumed, trainData: bands(24, 3, 1), args: { ...args, evalStrategy: 'no', outputDir: mkdtempSync(join(tmpdir(), 'graft-device-')), resumeFromCheckpoint: join(outputDir, checkpoints[0] as string) } }).train();
      return { loss: result.trainLoss, metrics: result.metrics, weights: weights(model), resumed: weights(resumed) };
    });
    expect(gpu).toEqual(cpu);
    expect(gpu.resumed).toEqual(gpu.weights);
  });

  it('keeps device memory flat over the steps and evaluations of a run', async () => {
    const model = tiny('cuda:0');
    const live: number[] = [];
    const trainer = new Trainer({
      model, trainData: bands(32, 3, 3), evalData: bands(12, 3, 4),
      args: { outputDir: mkdtempSync(join(tmpdir(), 'graft-device-')), numTrainEpochs: 4, trainBatchSize: 8, evalStrategy: 'epoch', evalTransform: plain, trainTransform: plain },
      callbacks: { onStepEnd: () => { live.push(cudaMemoryStats().liveBytes); } },
    });
    await trainer.train();
    // Step 1 creates the optimizer's momentum buffers; from then on every step ends with the same bytes.
    expect(live).toHaveLength(16);
    expect(new Set(live.slice(1)).size).toBe(1);
    model.dispose();
  });

  it("moves the model to args.device ('cuda' or 'auto') when it is built", async () => {
    const model = tiny('cpu');
    new Trainer({ model, args: { outputDir: mkdtempSync(join(tmpdir(), 'graft-device-')), device: 'auto' } });
    expect(model.device).toBe('cuda:0');
    new Trainer({ model, args: { outputDir: mkdtempSync(join(tmpdir(), 'graft-device-')), device: 'cpu' } });
    expect(model.device).toBe('cpu');
    expect(() => new Trainer({ model, args: { outputDir: 'x', device: 'gpu' as Device } })).toThrow(/TrainingArguments.device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got "gpu"/);
    expect(() => new Trainer({ model, args: { outputDir: 'x', device: 'cuda:3' } })).toThrow(/device 'cuda:3' does not exist \(1 CUDA device found\)/);
  });
});

describe('transfer strategies on a CUDA device', () => {
  it('linear probe (new head, cached features, folded standardisation) matches the CPU', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      const model = tiny(device, 5);
      const features = await extractFeatures(model, bands(9, 3, 3), { transform: plain });
      expect(features.features.device).toBe(device);
      features.features.dispose();
      const r = await linearProbe(model, bands(18, 3, 3), { numClasses: 3, epochs: 3, views: 2, transform: plain, evalData: bands(9, 3, 4) });
      expect(model.head.weight.device).toBe(device);
      return { history: r.history, metrics: r.metrics, weights: weights(model) };
    });
    expect(gpu).toEqual(cpu);
  });

  it('LP-FT fine-tuning, training from scratch, the learning-rate finder and the scratch baseline match the CPU', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      const ft = tiny(device);
      const tuned = await fineTune(ft, bands(18, 3, 5), { epochs: 2, batchSize: 6, probe: { epochs: 2, views: 1 }, transform: plain, evalData: bands(9, 3, 6) });
      const scratch = tiny(device);
      const fromScratch = await trainFromScratch(scratch, bands(18, 3, 5), { epochs: 2, batchSize: 6, transform: plain });
      const lr = await findLearningRate(tiny(device), bands(24, 3, 7), { steps: 6, batchSize: 8, transform: plain });
      // The baseline's model is built on the host and trained beside the fine-tuned one.
      let baselineModel: ResNet | undefined;
      const compared = await fineTuneWithBaseline(tiny(device), bands(18, 3, 5), { epochs: 1, batchSize: 6, probe: { epochs: 1, views: 1 }, transform: plain, evalData: bands(9, 3, 6) },
        { createModel: () => (baselineModel = tiny('cpu')), warn: () => {} });
      expect(baselineModel?.device).toBe(device);
      return {
        ft: [tuned.history, tuned.metrics, weights(ft)], scratch: [fromScratch.history, weights(scratch)], lr: lr.losses,
        compared: [compared.metrics, compared.baseline.metrics, compared.check],
      };
    });
    expect(gpu).toEqual(cpu);
  });
});

describe('pre-training on a CUDA device', () => {
  it('supervised, SimCLR and denoising objectives and both accuracy measures match the CPU', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      manualSeed(2);
      const sup = resnet20({ inChannels: 1, numClasses: 3 }).to(device);
      const supervised = await pretrainSupervised(sup, bands(32, 3, 8), { epochs: 1, batchSize: 16, transform: augment });
      const accuracy = await sourceAccuracy(sup, bands(12, 3, 9), plain);
      manualSeed(3);
      const simclrModel = resnet20({ inChannels: 1 }).to(device);
      const simclr = await pretrainSimclr(simclrModel, withoutLabels(bands(32, 3, 10)), { epochs: 1, batchSize: 16, transform: augment });
      expect(simclr.head.device).toBe(device);
      simclr.head.dispose();
      manualSeed(4);
      const dae = resnet20({ inChannels: 1 }).to(device);
      const denoising = await pretrainDenoising(dae, withoutLabels(bands(32, 3, 11)), { epochs: 1, batchSize: 16, transform: plain, noiseStd: 0.3 });
      expect(denoising.decoder.device).toBe(device);
      denoising.decoder.dispose();
      const knn = await knnAccuracy(simclrModel, bands(15, 3, 12), bands(9, 3, 13), plain, { k: 3, batchSize: 4 });
      return { losses: [supervised.epochLosses, simclr.run.epochLosses, denoising.run.epochLosses], accuracy, knn, weights: [weights(sup), weights(simclrModel), weights(dae)] };
    });
    expect(gpu).toEqual(cpu);
  });

  it('pretrainFashionMnist trains on the device it is given', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      const out = join(mkdtempSync(join(tmpdir(), 'graft-device-')), 'backbone');
      const allocations = cudaMemoryStats().deviceAllocations;
      const card = await pretrainFashionMnist({ task: 'supervised', bundled: true, maxSteps: 2, batchSize: 16, measureAccuracy: false, out, command: 'test', device });
      expect(cudaMemoryStats().deviceAllocations > allocations, 'device buffers made').toBe(device !== 'cpu');
      return card.epochLosses;
    });
    expect(gpu).toEqual(cpu);
  });
});
