/**
 * Ctrl-C and --resume through the built binary: SIGINT during `graft finetune` saves a checkpoint and
 * exits 130; the same command with --resume finishes the remaining steps. Needs dist (see e2e.test.ts,
 * whose beforeAll builds it; this file builds it too so it can run alone).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');

beforeAll(() => {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'packages/cli/tsconfig.json')], { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
});

it('Ctrl-C saves a checkpoint and exits 130; --resume completes the run', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'graft-resume-')), 'ft');
  // 4 labels x 5 classes at batch 4: 5 steps per epoch, 40 epochs = 200 small steps (several seconds).
  const args = [bin, 'finetune', '--weights', join(root, 'weights/resnet20-fmnist04-supervised.safetensors'), '--output-dir', out,
    '--labels-per-class', '4', '--train-batch-size', '4', '--num-train-epochs', '40', '--json'];
  // A plain progress line every 0.2 s, so the interrupt lands mid-run even where 200 steps take 2 s.
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, GRAFT_PROGRESS_SECONDS: '0.2' } });
  let stderr = '';
  const code = await new Promise<number | null>((done) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The first mid-run progress line means training runs: interrupt it.
      const step = /step (\d+)\/200/.exec(stderr);
      if (step && Number(step[1]) < 150 && !child.killed) child.kill('SIGINT');
    });
    child.on('exit', (c) => done(c));
  });
  expect(stderr).toContain('Ctrl-C: saving a checkpoint');
  expect(code).toBe(130);
  const checkpoints = readdirSync(out).filter((f) => /^checkpoint-\d+\.safetensors$/.test(f));
  expect(checkpoints).toHaveLength(1);
  const savedStep = Number(/checkpoint-(\d+)/.exec(checkpoints[0] as string)?.[1]);
  expect(savedStep).toBeGreaterThan(0);
  expect(savedStep).toBeLessThan(200);
  expect(existsSync(join(out, 'model.safetensors'))).toBe(false);

  const resumed = spawnSync(process.execPath, [...args.slice(0, -1), '--resume', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(resumed.stderr).not.toContain('Error');
  expect(resumed.status).toBe(0);
  const result = JSON.parse(resumed.stdout) as { steps: number; testAccuracy: number };
  expect(result.steps).toBe(200);
  expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stoppedBy?: string });
  expect(lines.filter((l) => l.stoppedBy !== undefined).map((l) => l.stoppedBy)).toEqual(['interrupt', 'maxSteps']);
});
