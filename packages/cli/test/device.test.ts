// `--device` in the commands: 'cuda' trains every model of the quickstart and of finetune, selftrain,
// eval and pretrain on the GPU. The CLI runs in this process on an emulated CUDA device (see
// packages/core/test/emulated-kernels.ts): the device checks and the CUDA backend are the real ones
// and the kernels the CPU's, so `--device cuda` must print what `--device cpu` prints, number for number.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
vi.mock('@graft/native', async (importOriginal) => (await import('../../core/test/emulated-kernels.js')).emulatedKernels(await importOriginal()));
import { cudaMemoryStats } from '@graft/native';
import { main } from '../src/cli.js';
import { resolveDevice } from '../src/model.js';


const root = fileURLToPath(new URL('../../../', import.meta.url));
const backbone = join(root, 'weights/resnet20-fmnist04-supervised.safetensors');

interface Run { code: number; stdout: string; stderr: string }

async function graft(args: string[]): Promise<Run> {
  let stdout = '', stderr = '';
  const code = await main(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, stderrIsTTY: false });
  return { code, stdout, stderr };
}

/**
 * A command's --json document, less its times and paths, run once per device; the `cuda` run must
 * allocate device memory and the `cpu` run none, so a command that ignored --device would fail here.
 */
async function onBoth(args: (device: string) => string[]): Promise<[unknown, unknown]> {
  const results: unknown[] = [];
  for (const device of ['cpu', 'cuda']) {
    const allocations = cudaMemoryStats().deviceAllocations;
    const r = await graft([...args(device), '--device', device, '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const made = cudaMemoryStats().deviceAllocations - allocations;
    if (device === 'cpu') expect(made, 'device buffers made by the cpu run').toBe(0);
    else expect(made, 'device buffers made by the cuda run').toBeGreaterThan(0);
    results.push(JSON.parse(r.stdout, (key, value: unknown) => (['seconds', 'created', 'outputDir', 'weights', 'out'].includes(key) ? undefined : value)));
  }
  return results as [unknown, unknown];
}

const dir = (name: string): string => join(mkdtempSync(join(tmpdir(), 'graft-device-')), name);

describe('--device', () => {
  it("resolves 'auto' to the GPU when there is one and checks the rest", () => {
    expect(resolveDevice(undefined)).toBe('cuda:0');
    expect(resolveDevice('auto')).toBe('cuda:0');
    expect(resolveDevice('cpu')).toBe('cpu');
    expect(resolveDevice('cuda')).toBe('cuda:0');
    expect(() => resolveDevice('cuda:2')).toThrow(/--device cuda:2: device 'cuda:2' does not exist \(1 CUDA device found\); use --device cpu/);
    expect(() => resolveDevice('gpu')).toThrow(/--device must be cpu, cuda, cuda:N or auto, got 'gpu'/);
  });

  it('quickstart --device cuda runs all four methods on the GPU and scores as the CPU run does', async () => {
    const [cpu, gpu] = await onBoth((device) => ['quickstart', '--output-dir', dir(device), '--labels-per-class', '3', '--dev-scratch-epochs', '1',
      '--dev-probe-epochs', '3', '--dev-fine-tune-epochs', '1', '--dev-rounds', '1', '--dev-student-epochs', '1', '--dev-pseudo-per-class', '6',
      '--dev-pool', '60', '--dev-test', '40']);
    expect(gpu).toEqual(cpu);
    expect((gpu as { methods: unknown[] }).methods).toHaveLength(4);
  });

  it('finetune, eval, selftrain and pretrain --device cuda match the CPU run', async () => {
    const weights: Record<string, string> = {};
    const [ftCpu, ftGpu] = await onBoth((device) => {
      weights[device] = dir(`ft-${device}`);
      return ['finetune', '--weights', backbone, '--output-dir', weights[device] as string, '--labels-per-class', '2', '--max-steps', '2', '--train-batch-size', '5'];
    });
    expect(ftGpu).toEqual(ftCpu);
    const fineTuned = join(weights['cuda'] as string, 'model.safetensors');
    expect(readFileSync(fineTuned)).toEqual(readFileSync(join(weights['cpu'] as string, 'model.safetensors')));
    const [evCpu, evGpu] = await onBoth(() => ['eval', '--weights', fineTuned]);
    expect(evGpu).toEqual(evCpu);
    const [stCpu, stGpu] = await onBoth((device) => ['selftrain', '--weights', backbone, '--output-dir', dir(`st-${device}`), '--labels-per-class', '3',
      '--rounds', '1', '--teacher-epochs', '1', '--student-epochs', '1', '--dev-pool', '40', '--dev-test', '30']);
    expect(stGpu).toEqual(stCpu);
    const [ptCpu, ptGpu] = await onBoth((device) => ['pretrain', '--max-steps', '2', '--batch-size', '8', '--skip-accuracy', '--out', dir(`pt-${device}`)]);
    expect(ptGpu).toEqual(ptCpu);
  });
});
