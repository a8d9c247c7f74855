#!/usr/bin/env node
// Builds the native addon from the root install (npm runs no install scripts of dependencies).
//   node tools/build-native.mjs          cmake-js when CMake is present, else node-gyp (CPU only)
//   node tools/build-native.mjs --gyp    node-gyp into native/build-gyp (CI builds both ways)
//   node tools/build-native.mjs --sim    the CMake build plus native/build/Release/graft-sim.node: the CUDA
//                                        kernels on the host simulator (native/sim), for the CUDA suites
// GRAFT_CUDA=ON|OFF|AUTO picks the CUDA backend for the CMake build (AUTO: when nvcc is found).
// Nothing is downloaded: cmake-js uses the Node-API headers from node-api-headers, node-gyp the
// headers of the installed Node (npm's nodedir).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const require = createRequire(import.meta.url);
const wantGyp = process.argv.includes('--gyp');
const wantSim = process.argv.includes('--sim');

if (process.env.GRAFT_SKIP_NATIVE_BUILD === '1') {
  console.log('graft: GRAFT_SKIP_NATIVE_BUILD=1, not building the native addon');
  process.exit(0);
}

function run(cmd, args, cwd) {
  console.log(`graft: ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: process.env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function hasCommand(cmd) {
  const result = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function nodeGypScript() {
  const candidates = [
    () => require.resolve('node-gyp/bin/node-gyp.js'),
    () => join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const candidate of candidates) {
    try {
      const path = candidate();
      if (existsSync(path)) return path;
    } catch {
      // try the next place
    }
  }
  throw new Error('graft: node-gyp was not found (it ships with npm); install CMake or node-gyp to build the addon');
}

function buildWithGyp(outDir) {
  const jobs = String(Math.max(1, (await_cpus())));
  const status = run(process.execPath, [nodeGypScript(), 'rebuild', '--jobs', jobs], nativeDir);
  if (status !== 0) return status;
  if (outDir !== 'build') {
    // node-gyp always writes native/build; move the result aside so the CMake build stays the default.
    rmSync(join(nativeDir, outDir), { recursive: true, force: true });
    mkdirSync(join(nativeDir, outDir, 'Release'), { recursive: true });
    cpSync(join(nativeDir, 'build', 'Release', 'graft.node'), join(nativeDir, outDir, 'Release', 'graft.node'));
  }
  return 0;
}

function await_cpus() {
  return require('node:os').availableParallelism?.() ?? require('node:os').cpus().length;
}

// `compile` configures a new build folder only; the simulator's addon is switched on in an existing one
// by configuring it again (the objects it shares with graft.node are not rebuilt).
function buildWithCmake(sim = false) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const where = ['--directory', nativeDir, '--out', join(nativeDir, 'build'), '--config', 'Release'];
  const defines = process.env.GRAFT_CUDA ? [`--CDGRAFT_CUDA=${process.env.GRAFT_CUDA}`] : [];
  if (sim) {
    const status = run(process.execPath, [cmakeJs, 'configure', ...where, ...defines, '--CDGRAFT_CUDA_SIM=ON'], nativeDir);
    if (status !== 0) return status;
  }
  const args = [cmakeJs, sim ? 'build' : 'compile', ...where, ...defines];
  args.push('--parallel', String(await_cpus()));
  return run(process.execPath, args, nativeDir);
}

let status;
if (wantGyp) {
  // Keep a CMake build, if any, out of node-gyp's way and put it back afterwards.
  const cmakeBuild = join(nativeDir, 'build');
  const saved = join(nativeDir, 'build-cmake-saved');
  const hadCmake = existsSync(cmakeBuild);
  if (hadCmake) {
    rmSync(saved, { recursive: true, force: true });
    renameSync(cmakeBuild, saved);
  }
  try {
    status = buildWithGyp('build-gyp');
  } finally {
    rmSync(cmakeBuild, { recursive: true, force: true });
    if (hadCmake) renameSync(saved, cmakeBuild);
  }
} else if (wantSim) {
  if (!hasCommand('cmake')) {
    console.error('graft: the CUDA simulator build needs CMake');
    process.exit(1);
  }
  status = buildWithCmake(true);
} else if (hasCommand('cmake')) {
  status = buildWithCmake();
} else {
  console.log('graft: CMake not found, building the CPU-only addon with node-gyp');
  status = buildWithGyp('build');
}
if (status !== 0) {
  console.error('graft: building the native addon failed (see the compiler output above)');
  process.exit(status);
}
