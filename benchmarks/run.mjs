#!/usr/bin/env node
/**
 * Benchmark runner: `npm run bench -- <suite> [--json] [--sizes 256,512] [--device cpu|cuda]
 * [--model m] [--batch n] [--repeat n] [--threads n]`.
 *
 * Imports benchmarks/suites/<suite>.mjs, whose `run(opts)` returns `{ columns, results }`, and prints
 * an aligned table of the results (columns in that order) or, with --json, only
 * `JSON.stringify({ results })` on stdout. Progress and skipped peers go to stderr.
 * Exit codes: 0 done, 1 the suite failed, 2 bad usage or unknown suite (the suites are listed).
 *
 * @example
 * // npm run bench -- gemm --sizes 512,1024 --threads 2
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { listSuites, parseOptions, suitesDir, usage } from './lib/options.mjs';
import { formatTable } from './lib/report.mjs';

function fail(message, code) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    fail(`bench: ${error.message}\n${usage}`, 2);
  }
  const suites = listSuites();
  if (!suites.includes(opts.suite)) {
    const what = opts.suite ? `unknown suite '${opts.suite}'` : 'no suite given';
    fail(`bench: ${what}. Suites: ${suites.join(', ')}\n${usage}`, 2);
  }
  const suite = await import(pathToFileURL(join(suitesDir, `${opts.suite}.mjs`)).href);
  if (typeof suite.run !== 'function') fail(`bench: suites/${opts.suite}.mjs exports no run(opts)`, 1);
  const { columns, results } = await suite.run(opts);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ results })}\n`);
  } else {
    process.stdout.write(`${formatTable(columns, results)}\n`);
  }
}

main().catch((error) => fail(`bench: ${error?.stack ?? error}`, 1));
