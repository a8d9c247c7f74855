// Self-training on a CUDA device: the SelfTrainer (LP-FT teacher, pseudo-labels, students made on the
// host and moved beside the teacher), FixMatch and distillation keep every tensor on the model's
// device. They run here on an emulated CUDA device (see packages/core/test/emulated-kernels.ts): the
// device checks and the CUDA backend are the real ones and the kernels the CPU's, so each run must
// match the same run on the CPU bit for bit.
import { describe, expect, it, vi } from 'vitest';
vi.mock('@graft/native', async (importOriginal) => (await import('../../core/test/emulated-kernels.js')).emulatedKernels(await importOriginal()));
import { SmallCNN, cifarResNet, manualSeed, type Device, type Module } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, UnlabelledPool, fashionMnist, filterClasses, sampleKPerClass } from '@graft/data';
import { SelfTrainer, distill, fixMatch, viewTransforms } from '../src/index.js';


const train = filterClasses(await fashionMnist({ split: 'train', bundled: true }), [5, 7, 9], { remap: true });
const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
const { labelled, pool: fullPool } = sampleKPerClass(train, 6, 0);
const pool = new UnlabelledPool(train, fullPool.sourceIndices.slice(0, 96));

function weights(model: Module): number[][] {
  return [...model.stateDict()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => Array.from(t.dataSync() as ArrayLike<number>, Number));
}

function cnn(seed: number, device: Device): SmallCNN {
  manualSeed(seed);
  return new SmallCNN({ inChannels: 1, numClasses: 3, widths: [4, 8, 8] }).to(device);
}

async function onBoth<T>(body: (device: Device) => Promise<T>): Promise<[T, T]> {
  return [await body('cpu'), await body('cuda:0')];
}

describe('self-training on a CUDA device', () => {
  it('SelfTrainer: an LP-FT teacher and host-made students on the teacher device match the CPU run', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      const students: Module[] = [];
      const studentDevices: Device[] = [];
      manualSeed(1);
      const st = new SelfTrainer({
        model: cifarResNet(8, { inChannels: 1, numClasses: 3 }).to(device), labelled, pool, transforms: views, rounds: 2, valFraction: 0.25,
        createStudent: () => {
          manualSeed(2);
          const student = cifarResNet(8, { inChannels: 1, numClasses: 3 });
          students.push(student);
          return student;
        },
        teacherFineTune: { epochs: 2, batchSize: 6, probe: { epochs: 3, views: 2 } }, studentTraining: { epochs: 1, batchSize: 16 },
        pseudo: { threshold: 0.4, balance: 'cap' },
        callbacks: { onRound: (r) => { if (r.round > 0) studentDevices.push((students[r.round - 1] as Module).device); } },
      });
      const result = await st.run();
      expect(result.model.device).toBe(device);
      expect(studentDevices.length).toBeGreaterThan(0);
      expect(studentDevices.every((d) => d === device)).toBe(true);
      const out = { rounds: result.rounds.map(({ seconds: _, ...r }) => r), bestRound: result.bestRound, weights: weights(result.model) };
      result.model.dispose();
      return out;
    });
    expect(gpu).toEqual(cpu);
  });

  it('FixMatch and distillation match the CPU run', async () => {
    const [cpu, gpu] = await onBoth(async (device) => {
      const model = cnn(1, device);
      const losses: number[] = [];
      await fixMatch({ model, labelled, pool, transforms: views, steps: 4, batchSize: 6, mu: 2, threshold: 0.4, learningRate: 0.05, seed: 3, onStep: (s) => losses.push(s.loss) });
      const student = cnn(4, device);
      const d = await distill({ teacher: model, student, transfer: pool, labelled, transforms: views, temperature: 4, training: { epochs: 1, batchSize: 16, seed: 1 } });
      const out = { losses, distilled: d.finalLoss, teacher: weights(model), student: weights(student) };
      model.dispose(), student.dispose();
      return out;
    });
    expect(gpu).toEqual(cpu);
  });
});
