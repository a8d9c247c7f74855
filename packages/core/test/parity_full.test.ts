import { spawn } from 'node:child_process';
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

/** Makes the fixtures of `name` in the background; resolves with the seconds PyTorch took. */
function makeFixtures(name: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('python' in torch ? torch.python : 'python3', [script, name, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000)
      : reject(new Error(`make_fixtures.py ${name} exited with ${code}: ${stderr}`))));
  });
}

// Both generations start at once so that vgg11_bn's overlaps the resnet18 check.
const made = new Map<string, Promise<number>>();

describe.skipIf(skipReason !== '')(`PyTorch parity, full-size torchvision models${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  // vgg11_bn has 129M parameters: four 0.5 GB fixture files to write and read, hence the timeout.
  it.each(['resnet18', 'vgg11_bn'])('%s matches logits, loss, gradients and one SGD step', { timeout: 300_000 }, async (name) => {
    if (made.size === 0) {
      for (const n of ['resnet18', 'vgg11_bn']) {
        const pending = makeFixtures(n);
        pending.catch(() => undefined); // reported by the test that awaits it
        made.set(n, pending);
      }
    }
    const seconds = await made.get(name)!;
    console.log(`${name}: fixtures made by PyTorch in ${seconds.toFixed(1)} s`);
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
