/**
 * Conv suite: the convolution layers of ResNet-18 on 224x224 images (batch 4) and of the CIFAR-style
 * ResNet-20 on 1x28x28 Fashion-MNIST images (batch 128), float32 NCHW without bias, for Graft's CPU
 * kernels and PyTorch on the same thread count, shape by shape so both see the same machine load.
 *   conv2d-fwd      forward only
 *   conv2d-fwd-bwd  forward, then the input and weight gradients (what a training step runs)
 * GFLOP/s counts 2*N*K*P*Q*C*R*S flops for the forward and three times that for fwd-bwd.
 * `--model resnet18|resnet20` picks one network, `--batch n` replaces both default batches.
 *
 * @example
 * // GRAFT_PYTHON=/usr/bin/python3 npm run bench -- conv --model resnet20 --threads 2
 */
import * as graft from '../../native/dist/index.js';
import { measure } from '../lib/timing.mjs';
import { runPythonPeer } from '../lib/peers.mjs';
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
  if (opts.device !== 'cpu') throw new Error(`conv: only --device cpu is measured, got '${opts.device}'`);
  const models = opts.model ? [opts.model] : Object.keys(layers);
  for (const model of models) {
    if (!layers[model]) throw new Error(`conv: unknown --model '${model}' (known: ${Object.keys(layers).join(', ')})`);
  }
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
