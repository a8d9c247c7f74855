/**
 * lerp suite: out = a + w * (b - a) over float32 arrays of n elements (w an array, as in an EMA of
 * parameters with per-element weights or torch.lerp with a tensor weight), for Graft and PyTorch
 * (torch.lerp with out=) on the same thread count, size by size. GB/s counts the 16 bytes per element
 * the op must move (three reads, one write); an elementwise op is bound by memory, not flops.
 *
 * @example
 * // npm run bench -- lerp --sizes 65536,4194304 --threads 2 --repeat 10
 */
import * as graft from '../../native/dist/index.js';
import { measure } from '../lib/timing.mjs';
import { runPythonPeer } from '../lib/peers.mjs';
import { progress } from '../lib/report.mjs';

// 4 Ki elements fit in L1, 64 Ki in L2, 1 Mi (16 MiB moved) around L3, 16 Mi (256 MiB) in DRAM.
const defaultSizes = [4096, 65_536, 1_048_576, 16_777_216];
const minSeconds = 0.25;

/** Columns of the table, in order. */
export const columns = ['op', 'impl', 'device', 'n', 'threads', 'seconds', 'gbps'];

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomArray(n, rand) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rand() - 1;
  return out;
}

function row(impl, n, threads, seconds) {
  return { op: 'lerp', impl, device: 'cpu', n, threads, seconds, gbps: (16 * n) / seconds / 1e9 };
}

async function timeGraft(n, repeat) {
  const rand = seeded(n);
  const a = randomArray(n, rand), b = randomArray(n, rand), w = randomArray(n, rand), out = new Float32Array(n);
  const { seconds } = await measure(() => graft.lerp(a, b, w, out), { repeat, minSeconds });
  return seconds;
}

/**
 * Runs the suite (CPU only: `--device cuda` is refused).
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'lerp', json: true, device: 'cpu', sizes: [65536] });
 */
export async function run(opts) {
  if (opts.device !== 'cpu') throw new Error(`lerp suite: only --device cpu is measured (got ${opts.device})`);
  const sizes = opts.sizes ?? defaultSizes;
  const repeat = opts.repeat ?? 5;
  if (opts.threads) graft.setNumThreads(opts.threads);
  const threads = graft.getNumThreads();
  progress(`lerp: isa ${graft.capabilities().isa}, ${threads} threads, sizes ${sizes.join(',')}, addon ${graft.addonPath()}`);
  const results = [];
  for (const n of sizes) {
    progress(`lerp n=${n}: graft`);
    results.push(row('graft', n, threads, await timeGraft(n, repeat)));
    progress(`lerp n=${n}: pytorch`);
    const torch = runPythonPeer('torch_lerp.py', [
      '--sizes', String(n), '--threads', String(threads), '--repeat', String(repeat), '--min-seconds', String(minSeconds),
    ]);
    const entry = torch?.results?.[0];
    if (entry) results.push(row('pytorch', n, threads, entry.seconds));
  }
  return { columns, results };
}
