// The CUDA kernels' integer division by a launch-fixed divisor (src/cuda/divide.cuh) against the
// compiler's division. The header is device code; test/cpp/divide_check.cc compiles it for the host
// through the CUDA simulator's headers, so this runs on every machine with a C++ compiler (CI has one).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const native = resolve(__dirname, '..');
const compiler = process.env.CXX ?? 'g++';
const hasCompiler = spawnSync(compiler, ['--version']).status === 0;
const why = hasCompiler ? '' : ` (skipped: no C++ compiler '${compiler}' to build test/cpp/divide_check.cc)`;

describe.skipIf(!hasCompiler)(`cuda Divider: multiply-high division${why}`, () => {
  it('matches plain division on every edge and on random operands, and refuses bad divisors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-divide-'));
    try {
      const binary = join(dir, 'divide_check');
      const build = spawnSync(compiler, ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror',
        `-I${join(native, 'sim/include')}`, `-I${join(native, 'src')}`, `-I${join(native, 'include')}`,
        join(native, 'test/cpp/divide_check.cc'), '-o', binary], { encoding: 'utf8' });
      expect(build.stderr, 'compiling test/cpp/divide_check.cc').toBe('');
      expect(build.status).toBe(0);
      const run = spawnSync(binary, { encoding: 'utf8', timeout: 120_000 });
      expect(run.stdout).toMatch(/^\d+ divisions checked, 0 wrong\n$/);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
