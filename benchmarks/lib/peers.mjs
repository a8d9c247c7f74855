/**
 * Peers for benchmarks: PyTorch (a Python script that prints JSON) and C harnesses linked with
 * OpenBLAS, built on demand into benchmarks/.build/. A peer that cannot run here is reported as
 * skipped on stderr and returns null: a missing peer never fails a benchmark.
 *
 * @example
 * import { runPythonPeer, buildCHarness, runCHarness } from './peers.mjs';
 * const torch = runPythonPeer('torch_gemm.py', ['--sizes', '256', '--threads', '2']);
 * const exe = buildCHarness('openblas_gemm', { blas: true });
 * const blas = exe && runCHarness(exe, ['256'], { OPENBLAS_NUM_THREADS: '2' });
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './report.mjs';

const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where peer scripts and C harness sources live. */
export const peersDir = join(benchRoot, 'peers');
/** Where C harnesses are built (gitignored). */
export const buildDir = join(benchRoot, '.build');

const skipped = new Set();

/**
 * Reports a peer as skipped, once per peer and reason, on stderr.
 * @param {string} peer
 * @param {string} reason
 * @example
 * skip('pytorch', 'no python3 with torch');
 */
export function skip(peer, reason) {
  const key = `${peer}: ${reason}`;
  if (skipped.has(key)) return;
  skipped.add(key);
  progress(`skipped ${key}`);
}

let torchPython;

/**
 * The first Python interpreter that can `import torch` (GRAFT_PYTHON, then python3, /usr/bin/python3
 * (Debian's python3-torch), then python),
 * or null when there is none.
 * @returns {{ python: string, torchVersion: string } | null}
 * @example
 * const found = findTorchPython(); // { python: 'python3', torchVersion: '1.13.1' }
 */
export function findTorchPython() {
  if (torchPython !== undefined) return torchPython;
  torchPython = null;
  const candidates = [process.env.GRAFT_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter(Boolean);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) {
      torchPython = { python, torchVersion: probe.stdout.trim() };
      break;
    }
  }
  return torchPython;
}

function parseJson(peer, result) {
  if (result.error) {
    skip(peer, result.error.message);
    return null;
  }
  if (result.status !== 0) {
    skip(peer, `exited with ${result.status ?? result.signal}: ${lastLine(result.stderr)}`);
    return null;
  }
  try {
    return JSON.parse(result.stdout);
  } catch {
    skip(peer, `printed no JSON: ${lastLine(result.stdout)}`);
    return null;
  }
}

function lastLine(text) {
  const lines = String(text ?? '').trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * Runs `benchmarks/peers/<script>` with a torch-capable Python and returns its parsed JSON stdout,
 * or null (reported as skipped) when there is no such Python or the script fails.
 * @param {string} script  file name under benchmarks/peers
 * @param {string[]} args
 * @param {Record<string, string>} [env]  extra environment variables
 * @returns {any}
 * @example
 * const out = runPythonPeer('torch_gemm.py', ['--sizes', '512', '--threads', '2']);
 */
export function runPythonPeer(script, args, env = {}) {
  const found = findTorchPython();
  if (!found) {
    skip('pytorch', 'no python3 with torch found (set GRAFT_PYTHON to one)');
    return null;
  }
  const result = spawnSync(found.python, [join(peersDir, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  return parseJson(`pytorch (${script})`, result);
}

const cblasHeaders = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h'];

/**
 * The directory holding OpenBLAS's cblas.h, or null when the headers are not installed.
 * @returns {string | null}
 * @example
 * findCblasInclude(); // '/usr/include/x86_64-linux-gnu'
 */
export function findCblasInclude() {
  const header = cblasHeaders.find((h) => existsSync(h));
  return header ? dirname(header) : null;
}

/**
 * Builds `benchmarks/peers/<name>.c` into benchmarks/.build/<name> with `cc -O2` (linking OpenBLAS
 * when `blas`), unless the binary is newer than its source. Returns the binary's path, or null
 * (reported as skipped) when there is no compiler or no OpenBLAS.
 * @param {string} name
 * @param {{ blas?: boolean }} [options]
 * @returns {string | null}
 * @example
 * const exe = buildCHarness('openblas_gemm', { blas: true });
 */
export function buildCHarness(name, options = {}) {
  const source = join(peersDir, `${name}.c`);
  const binary = join(buildDir, name);
  const peer = options.blas ? 'openblas' : name;
  const flags = ['-O2', '-o', binary, source];
  if (options.blas) {
    const include = findCblasInclude();
    if (!include) {
      skip(peer, 'no cblas.h found (Debian: apt-get install libopenblas-dev)');
      return null;
    }
    flags.push(`-I${include}`, '-lopenblas');
  }
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(buildDir, { recursive: true });
  progress(`building ${name} into ${buildDir}`);
  const cc = process.env.CC || 'cc';
  const result = spawnSync(cc, [...flags, '-lm'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    skip(peer, `${cc} failed: ${result.error?.message ?? lastLine(result.stderr)}`);
    return null;
  }
  return binary;
}

/**
 * Runs a built C harness and returns its parsed JSON stdout, or null (reported as skipped).
 * @param {string} binary
 * @param {string[]} args
 * @param {Record<string, string>} [env]  extra environment variables (e.g. OPENBLAS_NUM_THREADS)
 * @returns {any}
 * @example
 * runCHarness(exe, ['1024', '5', '0.25'], { OPENBLAS_NUM_THREADS: '2' });
 */
export function runCHarness(binary, args, env = {}) {
  const result = spawnSync(binary, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return parseJson(binary.split('/').pop(), result);
}
