/**
 * CUDA GEMM suite: square C = A * B on the GPU at each precision Graft offers (float32, TF32 and BF16
 * tensor cores with float32 accumulation) at N = 512, 1024, 2048, 4096 (or --sizes), against PyTorch
 * CUDA at the same precision (cuBLAS) in the same run. GFLOP/s counts 2*N^3 flops. Without a CUDA
 * device (or a CUDA build) the suite says why on stderr and returns no rows. The `kernel` and `tile`
 * columns name Graft's kernel: `simt` (float32 on CUDA cores), and for TF32/BF16 every tensor-core
 * kernel the device runs (`wgmma` on compute capability 9.0, on 128x128 and 128x256 tiles; `mma.sync`
 * everywhere), each chosen through GRAFT_WGMMA and GRAFT_GEMM_TILE; PyTorch's rows say `cublas`.
 *
 * @example
 * // npm run bench -- cuda_gemm --sizes 1024,4096 --repeat 20
 */
import * as graft from '../../native/dist/index.js';
import { measure } from '../lib/timing.mjs';
import { runPythonPeer, skip } from '../lib/peers.mjs';
import { progress } from '../lib/report.mjs';

const defaultSizes = [512, 1024, 2048, 4096];
const precisions = ['float32', 'tf32', 'bf16'];
const minSeconds = 0.25;

/** Columns of the table, in order. */
export const columns = ['op', 'impl', 'device', 'precision', 'kernel', 'tile', 'n', 'seconds', 'gflops'];

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

function row(impl, precision, kernel, tile, n, seconds) {
  return { op: 'gemm', impl, device: 'cuda', precision, kernel, tile, n, seconds, gflops: (2 * n ** 3) / seconds / 1e9 };
}

// Graft's kernels for a precision: [kernel, tile, the GRAFT_WGMMA and GRAFT_GEMM_TILE settings that pick it].
function kernelsFor(precision) {
  if (precision === 'float32') return [['simt', '128x128', {}]];
  return [
    ['wgmma', '128x128', { GRAFT_WGMMA: '1', GRAFT_GEMM_TILE: '128x128' }],
    ['wgmma', '128x256', { GRAFT_WGMMA: '1', GRAFT_GEMM_TILE: '128x256' }],
    ['mma.sync', '128x128', { GRAFT_WGMMA: '0', GRAFT_GEMM_TILE: '128x128' }],
  ];
}

// Runs `body` with the environment variables in `settings` set, then restores them.
async function withSettings(settings, body) {
  const saved = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

// Each timed call queues one GEMM and waits for it, so the time is the kernel's, not the queue's.
async function timeGraft(n, precision, repeat) {
  const rand = seeded(n);
  const a = graft.cudaFromArray(randomMatrix(n, rand)), b = graft.cudaFromArray(randomMatrix(n, rand));
  const c = graft.cudaAlloc(n * n * 4);
  try {
    const { seconds } = await measure(() => {
      graft.cudaGemm({ m: n, n, k: n, a, b, c, precision });
      graft.cudaSynchronize();
    }, { repeat, minSeconds });
    return seconds;
  } finally {
    a.dispose(), b.dispose(), c.dispose();
  }
}

function cudaReady() {
  if (typeof graft.cudaAvailable !== 'function') {
    skip('graft cuda', 'this build of @graft/native has no CUDA backend');
    return false;
  }
  if (!graft.cudaAvailable()) {
    skip('graft cuda', graft.capabilities().cudaUnavailableReason);
    return false;
  }
  return true;
}

/**
 * Runs the suite.
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'cuda_gemm', json: true, device: 'cuda', sizes: [1024] });
 */
export async function run(opts) {
  const sizes = opts.sizes ?? defaultSizes;
  const repeat = opts.repeat ?? 10;
  const results = [];
  if (!cudaReady()) return { columns, results };
  const tensorCores = graft.capabilities().cudaDevices.every((d) => Number(d.computeCapability) >= 8);
  const usable = tensorCores ? precisions : ['float32'];
  if (!tensorCores) skip('graft cuda tf32/bf16', 'tensor cores of compute capability 8.0 or newer are needed');
  progress(`cuda_gemm: ${graft.capabilities().cudaDevices.map((d) => d.name).join(', ')}, sizes ${sizes.join(',')}`);
  for (const n of sizes) {
    for (const precision of usable) {
      for (const [kernel, tile, settings] of kernelsFor(precision)) {
        progress(`cuda_gemm n=${n} ${precision}: graft ${kernel} ${tile}`);
        try {
          results.push(row('graft', precision, kernel, tile, n, await withSettings(settings, () => timeGraft(n, precision, repeat))));
        } catch (error) {
          if (!/cannot run the wgmma kernel/.test(String(error?.message))) throw error;
          skip(`graft cuda ${kernel} ${tile}`, error.message);  // not a Hopper GPU, or a build without sm_90a
        }
      }
      progress(`cuda_gemm n=${n} ${precision}: pytorch`);
      const torch = runPythonPeer('torch_cuda_gemm.py', [
        '--sizes', String(n), '--precision', precision, '--repeat', String(repeat), '--min-seconds', String(minSeconds),
      ]);
      const entry = torch?.results?.[0];
      if (entry) results.push(row('pytorch', precision, 'cublas', '', n, entry.seconds));
    }
  }
  return { columns, results };
}
