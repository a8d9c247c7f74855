#!/usr/bin/env node
// `npm start`: runs the main job through the `graft` CLI when it is built; until then prints the
// native build's capabilities and times one GEMM, so a fresh install shows that the addon works.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'cli', 'dist', 'bin.js');
if (existsSync(cli)) {
  const result = spawnSync(process.execPath, [cli, 'quickstart', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const native = await import(pathToFileURL(join(root, 'native', 'dist', 'index.js')).href);
const caps = native.capabilities();
console.log('Graft native addon:', native.addonPath());
console.log(`  ISA ${caps.isa} (detected ${caps.detectedIsa}), ${caps.threads} threads, compiler ${caps.compiler ?? '?'}`);
console.log(`  CUDA compiled: ${caps.cudaCompiled}${caps.cudaCompiled ? ` (runtime ${caps.cudaRuntimeVersion})` : ''}; devices: ${caps.cudaDevices.length}` +
  (caps.cudaUnavailableReason ? ` (${caps.cudaUnavailableReason})` : ''));
const n = 512;
const a = new Float32Array(n * n).map((_, i) => Math.sin(i));
const b = new Float32Array(n * n).map((_, i) => Math.cos(i));
const c = new Float32Array(n * n);
native.gemm({ m: n, n, k: n, a, b, c });
const reps = 5;
const t0 = process.hrtime.bigint();
for (let i = 0; i < reps; i++) native.gemm({ m: n, n, k: n, a, b, c });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9 / reps;
console.log(`  GEMM ${n}x${n}x${n}: ${(seconds * 1e3).toFixed(2)} ms, ${((2 * n ** 3) / seconds / 1e9).toFixed(1)} GFLOP/s`);
