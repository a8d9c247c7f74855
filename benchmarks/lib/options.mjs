/**
 * Command-line options of `npm run bench -- <suite> [flags]`, and the list of suites.
 *
 * @example
 * import { parseOptions } from './options.mjs';
 * parseOptions(['gemm', '--sizes', '256,512', '--json']);
 * // { suite: 'gemm', json: true, sizes: [256, 512], device: 'cpu', ... }
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where suites live: benchmarks/suites/<suite>.mjs, each exporting `run(opts)`. */
export const suitesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'suites');

/**
 * What every suite's `run(opts)` receives. Unset flags are undefined, so each suite picks its own
 * defaults (sizes, model, batch).
 * @typedef {object} BenchOptions
 * @property {string}   suite
 * @property {boolean}  json        print only JSON results on stdout
 * @property {number[]} [sizes]     --sizes 256,512
 * @property {'cpu' | 'cuda'} device  --device (default cpu)
 * @property {string}   [model]     --model
 * @property {number}   [batch]     --batch
 * @property {number}   [repeat]    --repeat: at least this many timed calls
 * @property {number}   [threads]   --threads: CPU threads for Graft and every peer
 */

export const usage =
  'usage: npm run bench -- <suite> [--json] [--sizes 256,512] [--device cpu|cuda] [--model m] ' +
  '[--batch n] [--repeat n] [--threads n]';

/**
 * Suite names, from the files in benchmarks/suites.
 * @returns {string[]}
 * @example
 * listSuites(); // ['gemm', ...]
 */
export function listSuites() {
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.slice(0, -'.mjs'.length))
    .sort();
}

function positiveInt(flag, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return value;
}

/**
 * Parses the arguments after `run.mjs`.
 * @param {string[]} argv
 * @returns {BenchOptions}
 * @throws Error naming the flag when a flag is unknown, lacks its value or has a bad one.
 * @example
 * parseOptions(['conv', '--device', 'cuda', '--batch', '64']);
 */
export function parseOptions(argv) {
  /** @type {BenchOptions} */
  const opts = { suite: '', json: false, device: 'cpu' };
  const rest = [...argv];
  while (rest.length > 0) {
    const arg = rest.shift();
    if (!arg.startsWith('--')) {
      if (opts.suite) throw new Error(`unexpected argument '${arg}' (the suite is already '${opts.suite}')`);
      opts.suite = arg;
      continue;
    }
    if (arg === '--json') {
      opts.json = true;
      continue;
    }
    const value = rest.shift();
    if (value === undefined) throw new Error(`${arg} needs a value`);
    switch (arg) {
      case '--sizes':
        opts.sizes = value.split(',').map((s) => positiveInt('--sizes', s.trim()));
        break;
      case '--device':
        if (value !== 'cpu' && value !== 'cuda') throw new Error(`--device must be cpu or cuda, got '${value}'`);
        opts.device = value;
        break;
      case '--model':
        opts.model = value;
        break;
      case '--batch':
        opts.batch = positiveInt(arg, value);
        break;
      case '--repeat':
        opts.repeat = positiveInt(arg, value);
        break;
      case '--threads':
        opts.threads = positiveInt(arg, value);
        break;
      default:
        throw new Error(`unknown flag '${arg}'`);
    }
  }
  return opts;
}
