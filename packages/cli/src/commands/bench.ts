/**
 * `graft bench <suite>`: runs the repository's benchmark runner (benchmarks/run.mjs) with the same
 * flags; benchmarks ship with the repository, not with the package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkFlagRange } from '../flags.js';
import type { Command } from './types.js';

/** The benchmark runner, found relative to this file in the repository. */
export const BENCH_RUNNER: string = fileURLToPath(new URL('../../../../benchmarks/run.mjs', import.meta.url));

/** The `bench` command. */
export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'Run a benchmark suite (gemm, conv, data, train, ...) against its peers (needs the repository).',
    positionals: [{ name: 'suite', description: 'gemm, conv, data, train, or another file of benchmarks/suites', required: true }],
    flags: [
      { name: 'sizes', type: 'string', valueName: 'LIST', description: 'Problem sizes, e.g. 256,512.' },
      { name: 'device', type: 'string', valueName: 'DEV', description: 'cpu or cuda.' },
      { name: 'model', type: 'string', description: 'Model of the train suite.' },
      { name: 'batch', type: 'integer', description: 'Batch size.' },
      { name: 'repeat', type: 'integer', description: 'Repetitions.' },
      { name: 'threads', type: 'integer', description: 'CPU threads.' },
    ],
    examples: ['graft bench gemm --sizes 512,1024 --threads 2', 'graft bench train --model resnet20 --batch 128 --json'],
  },
  async run(parsed, io) {
    for (const key of ['batch', 'repeat', 'threads']) checkFlagRange(parsed.flags, key, { atLeast: 1 });
    if (!existsSync(BENCH_RUNNER)) throw new Error(`benchmarks/run.mjs not found at ${BENCH_RUNNER}: the benchmarks ship with the Graft repository`);
    const args = [BENCH_RUNNER, parsed.positionals[0] as string];
    for (const [key, value] of Object.entries(parsed.flags)) args.push(`--${key}`, String(value));
    if (parsed.json) args.push('--json');
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (r.error) throw r.error;
    io.stdout(r.stdout ?? '');
    return r.status ?? 1;
  },
};
