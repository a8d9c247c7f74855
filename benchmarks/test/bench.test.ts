import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs the runner as `npm run bench` does, in a subprocess, on a size small enough to take about a
// second: it needs native/dist built (npm test builds it first) and the addon GRAFT_ADDON_PATH names
// or native/build holds. Peers that are missing here are skipped on stderr, never rows with junk.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runBench = (args: string[]) =>
  spawnSync(process.execPath, [join(root, 'benchmarks', 'run.mjs'), ...args], { cwd: root, encoding: 'utf8' });

interface GemmRow {
  op: string;
  impl: string;
  device: string;
  n: number;
  threads?: number;
  seconds: number;
  gflops: number;
}

describe('npm run bench', () => {
  it('gemm --json prints only { results } with one well-formed row per implementation', () => {
    const out = runBench(['gemm', '--json', '--sizes', '64', '--repeat', '2', '--threads', '1']);
    expect(out.status, out.stderr).toBe(0);
    const parsed = JSON.parse(out.stdout) as { results: GemmRow[] };
    expect(Object.keys(parsed)).toEqual(['results']);
    const impls = parsed.results.map((r) => r.impl);
    expect(impls).toContain('graft');
    expect(new Set(impls).size).toBe(impls.length);
    for (const r of parsed.results) {
      expect(['graft', 'openblas', 'pytorch']).toContain(r.impl);
      expect(r).toMatchObject({ op: 'gemm', device: 'cpu', n: 64, threads: 1 });
      expect(r.seconds).toBeGreaterThan(0);
      expect(Number.isFinite(r.seconds)).toBe(true);
      // gflops is derived from seconds: 2*n^3 flops.
      expect(r.gflops).toBeCloseTo((2 * 64 ** 3) / r.seconds / 1e9, 6);
    }
  });

  it('prints an aligned table whose header lists the columns in order', () => {
    const out = runBench(['gemm', '--sizes', '32', '--repeat', '1', '--threads', '1']);
    expect(out.status, out.stderr).toBe(0);
    const [header, rule, first] = out.stdout.trimEnd().split('\n');
    expect(header?.split(/\s+/)).toEqual(['op', 'impl', 'device', 'n', 'threads', 'seconds', 'gflops']);
    expect(rule).toMatch(/^[- ]+$/);
    expect(first).toMatch(/^gemm\s+graft\s+cpu\s+32\s+1\s/);
  });

  it('lists the suites and exits 2 for an unknown suite or flag', () => {
    const unknown = runBench(['no-such-suite']);
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/unknown suite 'no-such-suite'\. Suites: .*gemm/);
    const badFlag = runBench(['gemm', '--sizes', '0']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/--sizes must be a positive integer, got '0'/);
  });
});
