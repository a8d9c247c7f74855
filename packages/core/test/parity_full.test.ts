import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findTorchPython, runParity } from './parity_helpers.js';

// Full-size torchvision models, generated here (too large to commit) with:
//   python3 tools/fixtures/make_fixtures.py resnet18 $TMP   (2x3x64x64 input, 10 classes)
//   python3 tools/fixtures/make_fixtures.py vgg11_bn $TMP   (2x3x32x32 input, 10 classes, dropout 0)
const script = fileURLToPath(new URL('../../../tools/fixtures/make_fixtures.py', import.meta.url));
const torch = findTorchPython();
const skipReason = 'reason' in torch ? torch.reason : '';
// 1.5 GB of fixtures for vgg11_bn: a memory-backed folder when the system has one.
const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'graft-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skipReason !== '')(`PyTorch parity, full-size torchvision models${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  // vgg11_bn has 129M parameters: four 0.5 GB fixture files to write and read, hence the timeout.
  it.each(['resnet18', 'vgg11_bn'])('%s matches logits, loss, gradients and one SGD step', { timeout: 300_000 }, async (name) => {
    const t0 = performance.now();
    const made = spawnSync('python' in torch ? torch.python : 'python3', [script, name, dir], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    console.log(`${name}: fixtures made by PyTorch in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const r = await runParity(dir, name);
    console.log(`${name}: ${JSON.stringify(r)}`);
    // Same bars as the small fixtures (see parity.test.ts).
    expect(r.logitsEval).toBeLessThan(1e-4);
    expect(r.logitsTrain).toBeLessThan(1e-4);
    expect(r.loss).toBeLessThan(1e-4);
    expect(r.worstGrad[1]).toBeLessThan(1e-3);
    expect(r.worstStep[1]).toBeLessThan(1e-4);
    for (const kind of ['weights', 'io', 'grads', 'step']) rmSync(path.join(dir, `${name}.${kind}.safetensors`), { force: true });
  });
});
