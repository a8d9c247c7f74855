// PyTorch parity on a GPU: the committed fixtures (ResNet-20, a narrow VGG) and torchvision's
// ResNet-18 (fixtures made at test time where Debian's PyTorch is installed), run with the model and
// batch on `cuda`: eval and train logits, loss, every gradient and the state after one SGD step, to the
// same bars as on the CPU (parity.test.ts, parity_full.test.ts). Needs a GPU, or the CUDA simulator
// (npm run test:cuda-sim); skipped with the reason elsewhere.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { capabilities } from '@graft/native';
import { cudaDeviceAvailable } from '../src/index.js';
import { findTorchPython, runParity, type ParityResult } from './parity_helpers.js';

const caps = capabilities();
const hasCuda = cudaDeviceAvailable();
const why = hasCuda ? '' : ` (skipped: ${caps.cudaCompiled ? `no CUDA device: ${caps.cudaUnavailableReason}` : caps.cudaUnavailableReason})`;
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

function expectParity(name: string, r: ParityResult): void {
  console.log(`${name} on cuda: ${JSON.stringify(r)}`);
  expect(r.logitsEval).toBeLessThan(1e-4);
  expect(r.logitsTrain).toBeLessThan(1e-4);
  expect(r.loss).toBeLessThan(1e-4);
  expect(r.worstGrad[1]).toBeLessThan(1e-3);
  expect(r.worstStep[1]).toBeLessThan(1e-4);
}

describe.skipIf(!hasCuda).each(['resnet20', 'vgg_narrow'])(`PyTorch parity on a GPU: %s${why}`, (name) => {
  it('matches logits (eval and train), loss, gradients and one SGD step', async () => {
    expectParity(name, await runParity(fixtures, name, 'cuda'));
  });
});

const torch = findTorchPython();
const noTorch = 'reason' in torch ? ` (skipped: ${torch.reason})` : '';

describe.skipIf(!hasCuda || noTorch !== '')(`PyTorch parity on a GPU: torchvision ResNet-18${why || noTorch}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-cuda-parity-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches logits, loss, gradients and one SGD step (2x3x64x64 batch, 10 classes)', { timeout: 600_000 }, async () => {
    const script = fileURLToPath(new URL('../../../tools/fixtures/make_fixtures.py', import.meta.url));
    const made = spawnSync('python' in torch ? torch.python : 'python3', [script, 'resnet18', dir], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    expectParity('resnet18', await runParity(dir, 'resnet18', 'cuda'));
  });
});
