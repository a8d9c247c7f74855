/**
 * End-to-end: the built `graft` binary in a subprocess. beforeAll compiles this package against the
 * built dist of its dependencies (`npm test` builds them first), which takes a few seconds.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeSafetensors } from '@graft/core';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const weights = join(root, 'weights/resnet20-fmnist04-supervised.safetensors');

function graft(args: string[], timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout });
}

beforeAll(() => {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'packages/cli/tsconfig.json')], { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(existsSync(bin)).toBe(true);
});

describe('graft (built binary)', () => {
  it('prints help for the CLI and for each command, with examples', () => {
    const top = graft(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['quickstart', 'info', 'inspect']) expect(top.stdout).toContain(c);
    const sub = graft(['quickstart', '--help']);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('--labels-per-class');
    expect(sub.stdout).toContain('Examples:');
    expect(sub.stdout).not.toContain('--dev-');
  });

  it('the install links `graft` (npx graft) to the launcher, which runs the built CLI', () => {
    // npm links bins at install, before the build: the launcher (bin/graft.js) is committed, dist is not.
    const link = join(root, 'node_modules/.bin/graft');
    expect(existsSync(link)).toBe(true);
    const r = spawnSync(link, ['--version'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\d+\.\d+\.\d+/);
  });

  it('exits 2 with the closest name for an unknown command or flag', () => {
    const cmd = graft(['quikstart']);
    expect(cmd.status).toBe(2);
    expect(cmd.stderr).toContain("did you mean 'quickstart'");
    const flag = graft(['quickstart', '--labels-per-clas', '5']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("did you mean '--labels-per-class'");
    expect(flag.stdout).toBe('');
  });

  it('info --json prints one JSON document with the native build and CUDA state', () => {
    const r = graft(['info', '--json']);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(info['version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof info['native']?.['isa']).toBe('string');
    expect(info['native']?.['threads']).toBeGreaterThan(0);
    expect(typeof info['cuda']?.['compiled']).toBe('boolean');
    expect(Array.isArray(info['cuda']?.['devices'])).toBe(true);
  });

  it('inspect lists tensors, counts parameters and names the model a file fits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-inspect-'));
    const small = join(dir, 'small.safetensors');
    writeFileSync(small, serializeSafetensors({
      'layer.weight': { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) },
      'bn.running_mean': { dtype: 'F32', shape: [3], data: new Float32Array(3) },
    }, { note: 'tiny' }));
    const r = graft(['inspect', small, '--json']);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout) as { tensors: Array<{ name: string; dtype: string; shape: number[] }>; parameters: number; totalElements: number; fits: unknown; metadata: Record<string, string> };
    expect(info.tensors).toEqual([{ name: 'layer.weight', dtype: 'F32', shape: [3, 2], elements: 6 }, { name: 'bn.running_mean', dtype: 'F32', shape: [3], elements: 3 }]);
    expect(info.parameters).toBe(6);
    expect(info.totalElements).toBe(9);
    expect(info.fits).toBeNull();
    expect(info.metadata['note']).toBe('tiny');
    const shipped = graft(['inspect', weights]);
    expect(shipped.status).toBe(0);
    expect(shipped.stdout).toContain("fits resnet20({ inChannels: 1 }) as a backbone");
    const missing = graft(['inspect', join(dir, 'nope.safetensors')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('not found');
  });

  it('quickstart --json on a reduced run prints the documented schema and writes the run folder', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'graft-qs-')), 'run');
    const r = graft(['quickstart', '--json', '--output-dir', out, '--labels-per-class', '4', '--dev-scratch-epochs', '2', '--dev-probe-epochs', '5',
      '--dev-fine-tune-epochs', '2', '--dev-rounds', '1', '--dev-student-epochs', '1', '--dev-pseudo-per-class', '10', '--dev-pool', '150', '--dev-test', '100'], 120_000);
    expect(r.stderr).toContain('fine-tune');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { methods: Array<Record<string, unknown>>; selfTraining: Array<Record<string, unknown>> };
    expect(Object.keys(json).sort()).toEqual(['methods', 'selfTraining']);
    expect(json.methods.map((m) => m['method'])).toEqual(['scratch', 'linear-probe', 'fine-tune', 'self-train']);
    for (const m of json.methods) {
      expect(Object.keys(m).sort()).toEqual(['macroF1', 'method', 'seconds', 'testAccuracy']);
      expect(m['testAccuracy']).toBeGreaterThanOrEqual(0);
      expect(m['testAccuracy']).toBeLessThanOrEqual(1);
    }
    // Round 0 is the teacher; round 1 its student, kept or not by the held-out labels.
    expect(json.selfTraining.map((r) => r['round'])).toEqual([0, 1]);
    expect(json.selfTraining[0]).toMatchObject({ keptPerClass: [], pseudoLabelAccuracy: null, threshold: null, accepted: true });
    expect((json.selfTraining[1]?.['keptPerClass'] as number[]).length).toBe(5);
    expect(typeof json.selfTraining[1]?.['accepted']).toBe('boolean');
    for (const r of json.selfTraining) {
      expect(Object.keys(r).sort()).toEqual(['accepted', 'keptPerClass', 'macroF1', 'pseudoLabelAccuracy', 'round', 'seconds', 'testAccuracy', 'threshold', 'validationAccuracy']);
    }
    for (const f of ['metrics.json', 'metrics.jsonl', 'report.html', 'fine-tune.safetensors', 'self-train.safetensors']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(lines.filter((l) => l.event === 'method')).toHaveLength(4);
    const fits = graft(['inspect', join(out, 'fine-tune.safetensors'), '--json']);
    expect((JSON.parse(fits.stdout) as { fits: { model: string } }).fits.model).toBe('resnet20({ inChannels: 1, numClasses: 5 })');
  });

  it('npm start --silent -- --json prints only the JSON document, as the README says', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'graft-qs-')), 'run');
    const r = spawnSync('npm', ['start', '--silent', '--', '--json', '--output-dir', out, '--labels-per-class', '4', '--dev-scratch-epochs', '1',
      '--dev-probe-epochs', '2', '--dev-fine-tune-epochs', '1', '--dev-rounds', '1', '--dev-student-epochs', '1', '--dev-pseudo-per-class', '4',
      '--dev-pool', '50', '--dev-test', '50'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { methods: Array<{ method: string }> };
    expect(json.methods.map((m) => m.method)).toEqual(['scratch', 'linear-probe', 'fine-tune', 'self-train']);
  });

  it('quickstart --compare-starts reports the probe and fine-tuning from both shipped backbones', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'graft-qs-')), 'run');
    const r = graft(['quickstart', '--json', '--pretrained', 'simclr', '--compare-starts', '--output-dir', out, '--labels-per-class', '3',
      '--dev-scratch-epochs', '1', '--dev-probe-epochs', '3', '--dev-fine-tune-epochs', '1', '--dev-rounds', '1', '--dev-student-epochs', '1',
      '--dev-pseudo-per-class', '5', '--dev-pool', '60', '--dev-test', '50'], 120_000);
    expect(r.stderr).not.toContain('Error');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { starts: Array<{ start: string; weights: string; linearProbe: Record<string, number>; fineTune: Record<string, number> }> };
    expect(json.starts.map((s) => s.start)).toEqual(['simclr', 'supervised']);
    expect(json.starts[0]?.weights).toMatch(/resnet20-fmnist-simclr\.safetensors$/);
    for (const s of json.starts) for (const score of [s.linearProbe, s.fineTune]) expect(Object.keys(score).sort()).toEqual(['macroF1', 'seconds', 'testAccuracy']);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Pretrained starts');
    expect(html).toContain('every Fashion-MNIST training image without labels (SimCLR)');
  });

  it('a missing data folder says how to get the data', () => {
    const r = graft(['quickstart', '--data-dir', '/nonexistent/fmnist', '--output-dir', join(tmpdir(), 'graft-none')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('apt-get install dataset-fashion-mnist');
    expect(r.stderr).toContain('--data-dir');
  });
});
