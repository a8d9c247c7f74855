import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { capabilities } from '@graft/native';

// `npm run bench -- conv --device cuda` on the smallest settings, in a subprocess with the addon this
// process loaded (GRAFT_ADDON_PATH): on a GPU, or the CUDA simulator (npm run test:cuda-sim), Graft's
// rows for every precision; elsewhere no rows and the reason on stderr. PyTorch rows appear only where
// PyTorch sees a GPU.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const caps = capabilities();
const hasCuda = caps.cudaDevices.length > 0;

interface ConvRow {
  op: string;
  impl: string;
  device: string;
  precision: string;
  tile: string;
  kernel: string;
  model: string;
  shape: string;
  seconds: number;
  gflops: number;
}

describe('npm run bench -- conv --device cuda', () => {
  it(hasCuda ? 'times every ResNet-20 layer at every precision' : 'says why there is no CUDA device and prints no rows', () => {
    const out = spawnSync(process.execPath, [join(root, 'benchmarks', 'run.mjs'), 'conv', '--device', 'cuda', '--model', 'resnet20',
      '--batch', '1', '--repeat', '1', '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, GRAFT_CONV_TILE: '', GRAFT_WGMMA: '' } });
    expect(out.status, out.stderr).toBe(0);
    const { results } = JSON.parse(out.stdout) as { results: ConvRow[] };
    if (!hasCuda) {
      expect(results).toEqual([]);
      expect(out.stderr).toMatch(/skipped graft cuda: /);
      return;
    }
    const graft = results.filter((r) => r.impl === 'graft');
    const tensorCores = caps.cudaDevices.every((d) => Number(d.computeCapability) >= 8);
    const precisions = tensorCores ? ['float32', 'tf32', 'bf16'] : ['float32'];
    // 8 distinct ResNet-20 convolutions, forward and forward+backward, per precision.
    expect(graft).toHaveLength(8 * 2 * precisions.length);
    expect(new Set(graft.map((r) => r.precision))).toEqual(new Set(precisions));
    expect(new Set(graft.map((r) => r.tile))).toEqual(new Set(['auto']));
    const hopper = caps.cudaDevices[0].computeCapability === '9.0';
    for (const r of graft) expect(r.kernel).toBe(r.precision === 'float32' ? 'simt' : hopper ? 'wgmma' : 'mma.sync');
    for (const r of results) {
      expect(r).toMatchObject({ device: 'cuda', model: 'resnet20' });
      expect(['conv2d-fwd', 'conv2d-fwd-bwd']).toContain(r.op);
      expect(r.seconds).toBeGreaterThan(0);
      expect(r.gflops).toBeGreaterThan(0);
    }
  });
});

interface GemmRow {
  op: string;
  impl: string;
  device: string;
  precision: string;
  kernel: string;
  tile: string;
  n: number;
  seconds: number;
  gflops: number;
}

// `npm run bench -- cuda_gemm`: Graft's row per kernel at each precision (both tensor-core kernels where
// the device runs both: compute capability 9.0, as the simulator reports), or no rows and the reason.
describe('npm run bench -- cuda_gemm', () => {
  it(hasCuda ? 'times each GEMM kernel at every precision' : 'says why there is no CUDA device and prints no rows', () => {
    const out = spawnSync(process.execPath, [join(root, 'benchmarks', 'run.mjs'), 'cuda_gemm', '--sizes', '64', '--repeat', '1', '--json'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, GRAFT_WGMMA: '', GRAFT_GEMM_TILE: '' } });
    expect(out.status, out.stderr).toBe(0);
    const { results } = JSON.parse(out.stdout) as { results: GemmRow[] };
    if (!hasCuda) {
      expect(results).toEqual([]);
      expect(out.stderr).toMatch(/skipped graft cuda: /);
      return;
    }
    const tensorCores = caps.cudaDevices.every((d) => Number(d.computeCapability) >= 8);
    const hopper = caps.cudaDevices[0].computeCapability === '9.0';
    const expected = ['float32 simt 128x128'];
    for (const p of tensorCores ? ['tf32', 'bf16'] : []) {
      if (hopper) expected.push(`${p} wgmma 128x128`, `${p} wgmma 128x256`);
      expected.push(`${p} mma.sync 128x128`);
    }
    const graft = results.filter((r) => r.impl === 'graft');
    expect(graft.map((r) => `${r.precision} ${r.kernel} ${r.tile}`)).toEqual(expected);
    for (const r of results) {
      expect(r).toMatchObject({ op: 'gemm', device: 'cuda', n: 64 });
      expect(r.seconds).toBeGreaterThan(0);
      expect(r.gflops).toBeGreaterThan(0);
    }
  });
});
