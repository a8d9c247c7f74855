/**
 * Conv suite: the convolution layers of ResNet-18 on 224x224 images (batch 4) and of the CIFAR-style
 * ResNet-20 on 1x28x28 Fashion-MNIST images (batch 128), float32 NCHW without bias, for Graft's CPU
 * kernels and PyTorch on the same thread count, shape by shape so both see the same machine load.
 *   conv2d-fwd      forward only
 *   conv2d-fwd-bwd  forward, then the input and weight gradients (what a training step runs)
 * GFLOP/s counts 2*N*K*P*Q*C*R*S flops for the forward and three times that for fwd-bwd.
 * `--model resnet18|resnet20` picks one network, `--batch n` replaces both default batches.
 * `--device cuda` times the CUDA kernels instead, at float32, TF32 and BF16 (tensor cores), each beside
 * PyTorch CUDA (cuDNN) at the same precision in the same run, with ResNet-18 at batch 128 (a training
 * batch); without a CUDA device it says why on stderr and returns no rows. Graft's rows name the block
 * tile of its convolutions: `auto` (chosen per layer), or the one GRAFT_CONV_TILE forces (64x64, 64x128
 * or 128x128), so runs under each can be set side by side to tune the choice, and its kernel: `simt`
 * (float32), `wgmma` (TF32/BF16 on a compute capability 9.0 device) or `mma.sync` (other devices, or
 * GRAFT_WGMMA=0).
 *
 * @example
 * // GRAFT_PYTHON=/usr/bin/python3 npm run bench -- conv --model resnet20 --threads 2
 * // npm run bench -- conv --device cuda --model resnet18
 * // GRAFT_CONV_TILE=128x128 npm run bench -- conv --device cuda --model resnet18
 * // GRAFT_WGMMA=0 npm run bench -- conv --device cuda --model resnet18
 */
import * as graft from '../../native/dist/index.js';
import { measure } from '../lib/timing.mjs';
import { runPythonPeer, skip } from '../lib/peers.mjs';
import { progress } from '../lib/report.mjs';

const minSeconds = 0.25;

/** Columns of the table, in order. */
export const columns = ['op', 'impl', 'model', 'shape', 'threads', 'seconds', 'gflops'];

// [C, H, W, K, R (=S), stride, padding] of each distinct conv layer.
const layers = {
  resnet18: {
    batch: 4,
    convs: [
      [3, 224, 224, 64, 7, 2, 3],
      [64, 56, 56, 64, 3, 1, 1],
      [64, 56, 56, 128, 3, 2, 1], [128, 28, 28, 128, 3, 1, 1], [64, 56, 56, 128, 1, 2, 0],
      [128, 28, 28, 256, 3, 2, 1], [256, 14, 14, 256, 3, 1, 1], [128, 28, 28, 256, 1, 2, 0],
      [256, 14, 14, 512, 3, 2, 1], [512, 7, 7, 512, 3, 1, 1], [256, 14, 14, 512, 1, 2, 0],
    ],
  },
  resnet20: {
    batch: 128,
    convs: [
      [1, 28, 28, 16, 3, 1, 1],
      [16, 28, 28, 16, 3, 1, 1],
      [16, 28, 28, 32, 3, 2, 1], [32, 14, 14, 32, 3, 1, 1], [16, 28, 28, 32, 1, 2, 0],
      [32, 14, 14, 64, 3, 2, 1], [64, 7, 7, 64, 3, 1, 1], [32, 14, 14, 64, 1, 2, 0],
    ],
  },
};

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomArray(n, rand, scale = 1) {
  const out = new Float32Array(n);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rand() - 1) * scale;
  return out;
}

/** The shape as the rows print it: 'N,C,H,W->K,RxS,s,p'. */
function label([n, c, h, w, k, r, stride, pad]) {
  return `${n},${c},${h},${w}->${k},${r}x${r},s${stride},p${pad}`;
}

async function timeGraft([n, c, h, w, k, r, stride, padding], repeat) {
  const shape = { n, c, h, w, k, r, s: r, stride, padding };
  const { p, q } = graft.conv2dOutputSize(shape);
  const rand = seeded(n * c * h + k);
  const x = randomArray(n * c * h * w, rand), weight = randomArray(k * c * r * r, rand, 0.1);
  const y = new Float32Array(n * k * p * q), dy = randomArray(y.length, rand);
  const dx = new Float32Array(x.length), dw = new Float32Array(weight.length);
  const forward = () => graft.conv2dForward({ ...shape, x, weight, y });
  const fwd = await measure(forward, { repeat, minSeconds });
  const fwdBwd = await measure(() => {
    forward();
    graft.conv2dBackwardData({ ...shape, dy, weight, dx });
    graft.conv2dBackwardWeight({ ...shape, x, dy, dw });
  }, { repeat, minSeconds });
  return { fwd: fwd.seconds, fwdBwd: fwdBwd.seconds, flops: 2 * n * k * p * q * c * r * r };
}

function rows(impl, model, dims, threads, fwd, fwdBwd, flops) {
  const common = { impl, model, shape: label(dims), threads };
  return [
    { op: 'conv2d-fwd', ...common, seconds: fwd, gflops: flops / fwd / 1e9 },
    { op: 'conv2d-fwd-bwd', ...common, seconds: fwdBwd, gflops: (3 * flops) / fwdBwd / 1e9 },
  ];
}

/**
 * Runs the suite.
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'conv', json: true, device: 'cpu', model: 'resnet20' });
 */
export async function run(opts) {
  const models = opts.model ? [opts.model] : Object.keys(layers);
  for (const model of models) {
    if (!layers[model]) throw new Error(`conv: unknown --model '${model}' (known: ${Object.keys(layers).join(', ')})`);
  }
  if (opts.device === 'cuda') return runCuda(opts, models);
  const repeat = opts.repeat ?? 3;
  if (opts.threads) graft.setNumThreads(opts.threads);
  const threads = graft.getNumThreads();
  progress(`conv: isa ${graft.capabilities().isa}, ${threads} threads, addon ${graft.addonPath()}`);
  const results = [];
  for (const model of models) {
    const batch = opts.batch ?? layers[model].batch;
    for (const conv of layers[model].convs) {
      const dims = [batch, ...conv];
      progress(`conv ${model} ${label(dims)}: graft`);
      const ours = await timeGraft(dims, repeat);
      results.push(...rows('graft', model, dims, threads, ours.fwd, ours.fwdBwd, ours.flops));
      progress(`conv ${model} ${label(dims)}: pytorch`);
      const torch = runPythonPeer('torch_conv.py', [
        '--shapes', [batch, conv[0], conv[1], conv[2], conv[3], conv[4], conv[4], conv[5], conv[6]].join(','),
        '--threads', String(threads), '--repeat', String(repeat), '--min-seconds', String(minSeconds),
      ]);
      const entry = torch?.results?.[0];
      if (entry) results.push(...rows('pytorch', model, dims, threads, entry.fwd, entry.fwd_bwd, ours.flops));
    }
  }
  return { columns, results };
}

/** Columns of the table on --device cuda, in order. */
export const cudaColumns = ['op', 'impl', 'device', 'precision', 'tile', 'kernel', 'model', 'shape', 'seconds', 'gflops'];
const cudaBatch = 128;  // a training batch, for both models
const cudaPrecisions = ['float32', 'tf32', 'bf16'];

// Each timed call queues the convolutions and waits for them, so the time is the kernels', not the queue's.
async function timeGraftCuda([n, c, h, w, k, r, stride, padding], precision, repeat) {
  const shape = { n, c, h, w, k, r, s: r, stride, padding, precision };
  const { p, q } = graft.conv2dOutputSize(shape);
  const rand = seeded(n * c * h + k);
  const x = graft.cudaFromArray(randomArray(n * c * h * w, rand));
  const weight = graft.cudaFromArray(randomArray(k * c * r * r, rand, 0.1));
  const dy = graft.cudaFromArray(randomArray(n * k * p * q, rand));
  const y = graft.cudaAlloc(4 * n * k * p * q), dx = graft.cudaAlloc(4 * n * c * h * w), dw = graft.cudaAlloc(4 * k * c * r * r);
  try {
    const forward = () => graft.cudaConv2dForward({ ...shape, x, weight, y });
    const fwd = await measure(() => { forward(); graft.cudaSynchronize(); }, { repeat, minSeconds });
    const fwdBwd = await measure(() => {
      forward();
      graft.cudaConv2dBackwardData({ ...shape, dy, weight, dx });
      graft.cudaConv2dBackwardWeight({ ...shape, x, dy, dw });
      graft.cudaSynchronize();
    }, { repeat, minSeconds });
    return { fwd: fwd.seconds, fwdBwd: fwdBwd.seconds, flops: 2 * n * k * p * q * c * r * r };
  } finally {
    [x, weight, dy, y, dx, dw].forEach((b) => b.dispose());
  }
}

// The kernel Graft's convolutions take at a precision on device 0 (src/cuda/conv2d.cuh's choice).
function graftKernel(precision) {
  if (precision === 'float32') return 'simt';
  const hopper = graft.capabilities().cudaDevices[0]?.computeCapability === '9.0';
  return hopper && process.env.GRAFT_WGMMA !== '0' ? 'wgmma' : 'mma.sync';
}

function cudaRows(impl, precision, model, dims, fwd, fwdBwd, flops) {
  const tile = impl === 'graft' ? process.env.GRAFT_CONV_TILE || 'auto' : 'cudnn';
  const kernel = impl === 'graft' ? graftKernel(precision) : 'cudnn';
  const common = { impl, device: 'cuda', precision, tile, kernel, model, shape: label(dims) };
  return [
    { op: 'conv2d-fwd', ...common, seconds: fwd, gflops: flops / fwd / 1e9 },
    { op: 'conv2d-fwd-bwd', ...common, seconds: fwdBwd, gflops: (3 * flops) / fwdBwd / 1e9 },
  ];
}

async function runCuda(opts, models) {
  const results = [];
  if (typeof graft.cudaAvailable !== 'function' || !graft.cudaAvailable()) {
    skip('graft cuda', graft.capabilities().cudaUnavailableReason || 'this build of @graft/native has no CUDA backend');
    return { columns: cudaColumns, results };
  }
  const repeat = opts.repeat ?? 10;
  const devices = graft.capabilities().cudaDevices;
  const tensorCores = devices.every((d) => Number(d.computeCapability) >= 8);
  if (!tensorCores) skip('graft cuda tf32/bf16', 'tensor cores of compute capability 8.0 or newer are needed');
  progress(`conv --device cuda: ${devices.map((d) => d.name).join(', ')}, addon ${graft.addonPath()}`);
  // Per model and precision: every layer on Graft, then one PyTorch process for all of them (a process
  // per shape would spend more time starting CUDA than measuring).
  for (const model of models) {
    const batch = opts.batch ?? cudaBatch;
    const all = layers[model].convs.map((conv) => [batch, ...conv]);
    for (const precision of tensorCores ? cudaPrecisions : ['float32']) {
      const flops = [];
      for (const dims of all) {
        progress(`conv cuda ${model} ${label(dims)} ${precision}: graft`);
        const ours = await timeGraftCuda(dims, precision, repeat);
        flops.push(ours.flops);
        results.push(...cudaRows('graft', precision, model, dims, ours.fwd, ours.fwdBwd, ours.flops));
      }
      progress(`conv cuda ${model} ${precision}: pytorch`);
      const torch = runPythonPeer('torch_conv.py', ['--device', 'cuda',
        '--shapes', all.map(([n, c, h, w, k, r, stride, pad]) => [n, c, h, w, k, r, r, stride, pad].join(',')).join(';'),
        '--precision', precision, '--repeat', String(repeat), '--min-seconds', String(minSeconds),
      ]);
      (torch?.results ?? []).forEach((entry, i) => {
        results.push(...cudaRows('pytorch', precision, model, all[i], entry.fwd, entry.fwd_bwd, flops[i]));
      });
    }
  }
  return { columns: cudaColumns, results };
}
