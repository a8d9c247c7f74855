/**
 * GEMM suite: square C = A * B (float32, row-major) at N = 256, 512, 1024, 2048 (or --sizes), for
 * Graft, OpenBLAS (C harness, cblas_sgemm) and PyTorch, on the same thread count, size by size so
 * the peers see the same machine load. GFLOP/s counts 2*N^3 flops.
 *
 * @example
 * // npm run bench -- gemm --sizes 1024 --threads 2 --repeat 10
 */
import * as graft from '../../native/dist/index.js';
import { measure } from '../lib/timing.mjs';
import { buildCHarness, runCHarness, runPythonPeer, skip } from '../lib/peers.mjs';
import { progress } from '../lib/report.mjs';

const defaultSizes = [256, 512, 1024, 2048];
const minSeconds = 0.25;

/** Columns of the table, in order. */
export const columns = ['op', 'impl', 'device', 'n', 'threads', 'seconds', 'gflops'];

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomMatrix(n, rand) {
  const out = new Float32Array(n * n);
  for (let i = 0; i < out.length; i++) out[i] = 2 * rand() - 1;
  return out;
}

function row(impl, device, n, threads, seconds) {
  return { op: 'gemm', impl, device, n, threads, seconds, gflops: (2 * n ** 3) / seconds / 1e9 };
}

async function timeGraftCpu(n, repeat) {
  const rand = seeded(n);
  const a = randomMatrix(n, rand), b = randomMatrix(n, rand), c = new Float32Array(n * n);
  const { seconds } = await measure(() => graft.gemm({ m: n, n, k: n, a, b, c }), { repeat, minSeconds });
  return seconds;
}

async function timeGraftCuda(n, repeat) {
  const rand = seeded(n);
  const a = graft.cudaFromArray(randomMatrix(n, rand)), b = graft.cudaFromArray(randomMatrix(n, rand));
  const c = graft.cudaAlloc(n * n * 4);
  try {
    const { seconds } = await measure(() => {
      graft.cudaGemm({ m: n, n, k: n, a, b, c });
      graft.cudaSynchronize();
    }, { repeat, minSeconds });
    return seconds;
  } finally {
    a.dispose(), b.dispose(), c.dispose();
  }
}

function cudaReady() {
  if (typeof graft.cudaAvailable !== 'function' || typeof graft.cudaGemm !== 'function') {
    skip('graft cuda', 'this build of @graft/native has no CUDA GEMM');
    return false;
  }
  if (!graft.cudaAvailable()) {
    skip('graft cuda', `no CUDA device: ${graft.capabilities().cudaUnavailableReason || 'not compiled with CUDA'}`);
    return false;
  }
  return true;
}

/**
 * Runs the suite.
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'gemm', json: true, device: 'cpu', sizes: [256] });
 */
export async function run(opts) {
  const sizes = opts.sizes ?? defaultSizes;
  const repeat = opts.repeat ?? 5;
  const device = opts.device;
  if (opts.threads) graft.setNumThreads(opts.threads);
  const threads = graft.getNumThreads();
  const caps = graft.capabilities();
  progress(`gemm: ${device}, isa ${caps.isa}, ${threads} threads, sizes ${sizes.join(',')}, addon ${graft.addonPath()}`);
  const useCuda = device === 'cuda' && cudaReady();
  const blas = device === 'cpu' ? buildCHarness('openblas_gemm', { blas: true }) : null;
  const results = [];
  for (const n of sizes) {
    if (device === 'cpu') {
      progress(`gemm n=${n}: graft`);
      results.push(row('graft', 'cpu', n, threads, await timeGraftCpu(n, repeat)));
      if (blas) {
        progress(`gemm n=${n}: openblas`);
        const out = runCHarness(blas, [String(n), String(repeat), String(minSeconds)], { OPENBLAS_NUM_THREADS: String(threads) });
        if (out) results.push(row('openblas', 'cpu', n, threads, out.seconds));
      }
    } else if (useCuda) {
      progress(`gemm n=${n}: graft cuda`);
      results.push(row('graft', 'cuda', n, undefined, await timeGraftCuda(n, repeat)));
    }
    progress(`gemm n=${n}: pytorch`);
    const torch = runPythonPeer('torch_gemm.py', [
      '--sizes', String(n), '--threads', String(threads), '--repeat', String(repeat),
      '--min-seconds', String(minSeconds), '--device', device,
    ]);
    const entry = torch?.results?.[0];
    if (entry) results.push(row('pytorch', device, n, device === 'cpu' ? threads : undefined, entry.seconds));
  }
  return { columns, results };
}
