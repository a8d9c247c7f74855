/**
 * Memory suite: a small conv net (conv-bn-relu-pool, strided conv, global average pool, linear,
 * dropout, cross-entropy) trained with SGD for `--repeat` steps (default 5000) at `--batch` images
 * of 1x28x28 (default 16), every step inside `tidy`. Native live bytes and buffers (the addon's
 * allocator counters) and process RSS / V8 heap are sampled at the first step and at checkpoints:
 * flat native bytes prove the tensors and autograd graphs of every step are freed deterministically.
 * Rows: one per checkpoint; `liveBytesDelta` is relative to the end of step 1. Run node with
 * --expose-gc to collect the JS heap before each sample, so RSS shows what is really retained.
 *
 * @example
 * // npm run bench -- memory --repeat 5000 --threads 2
 */
import { memoryStats, setNumThreads } from '../../native/dist/index.js';
import {
  tidy, keep, randn, zeros, full, tensor, noGrad, binaryInPlace, mul, functional as F,
} from '../../packages/core/dist/index.js';
import { progress } from '../lib/report.mjs';

/** Columns of the table, in order. */
export const columns = ['step', 'liveBytes', 'liveBytesDelta', 'liveBuffers', 'rssMiB', 'heapMiB', 'seconds', 'loss'];

function makeNet() {
  let seed = 1;
  const param = (shape, std) => keep(randn(shape, { seed: seed++, std, requiresGrad: true }));
  const zerosParam = (shape) => keep(zeros(shape, { requiresGrad: true }));
  return {
    params: {
      w1: param([8, 1, 3, 3], 0.3), b1: zerosParam([8]),
      gamma: keep(full([8], 1, { requiresGrad: true })), beta: zerosParam([8]),
      w2: param([16, 8, 3, 3], 0.1), w3: param([10, 16], 0.2), b3: zerosParam([10]),
    },
    runningMean: keep(zeros([8])),
    runningVar: keep(full([8], 1)),
  };
}

function step(net, batch, i) {
  const p = net.params;
  return tidy(() => {
    const x = randn([batch, 1, 28, 28], { seed: 10_000 + i });
    const labels = tensor(Int32Array.from({ length: batch }, (_, k) => (k * 7 + i) % 10), { shape: [batch] });
    let h = F.conv2d(x, p.w1, p.b1, { padding: 1 });
    h = F.batchNorm(h, net.runningMean, net.runningVar, p.gamma, p.beta, { training: true });
    h = F.maxPool2d(h.relu(), 2);
    h = F.conv2d(h, p.w2, null, { padding: 1, stride: 2 }).relu();
    h = F.adaptiveAvgPool2d(h, 1).flatten(1);
    const loss = F.crossEntropy(F.dropout(F.linear(h, p.w3, p.b3), 0.1, { seed: i }), labels);
    loss.backward();
    noGrad(() => {
      for (const t of Object.values(p)) {
        const update = mul(t.grad, 0.05);
        binaryInPlace('sub', t, update);
        update.dispose();
        t.zeroGrad();
      }
    });
    return loss.item();
  });
}

/**
 * Runs the training loop and samples memory.
 * @param {{ repeat?: number, batch?: number, threads?: number }} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 */
export async function run(opts) {
  if (opts.device && opts.device !== 'cpu') throw new Error('memory: only --device cpu is supported');
  if (opts.threads) setNumThreads(opts.threads);
  const steps = opts.repeat ?? 5000;
  const batch = opts.batch ?? 16;
  const net = makeNet();
  const checkpoints = new Set([1, 10, 100]);
  for (let s = 1000; s <= steps; s += 1000) checkpoints.add(s);
  checkpoints.add(steps);
  const results = [];
  let reference = 0;
  const start = process.hrtime.bigint();
  for (let i = 1; i <= steps; i++) {
    const loss = step(net, batch, i);
    // Yield to the event loop now and then, as a loop fed by an async data loader does: Node runs the
    // finalizers of collected ArrayBuffers (small native records) from the event loop.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (!checkpoints.has(i)) continue;
    globalThis.gc?.();
    const stats = memoryStats();
    const usage = process.memoryUsage();
    if (i === 1) reference = stats.liveBytes;
    results.push({
      step: i,
      liveBytes: stats.liveBytes,
      liveBytesDelta: stats.liveBytes - reference,
      liveBuffers: stats.liveBuffers,
      rssMiB: +(usage.rss / 2 ** 20).toFixed(1),
      heapMiB: +(usage.heapUsed / 2 ** 20).toFixed(1),
      seconds: +(Number(process.hrtime.bigint() - start) / 1e9).toFixed(2),
      loss: +loss.toFixed(4),
    });
    progress(`memory: step ${i}/${steps}, live ${stats.liveBytes} B, rss ${(usage.rss / 2 ** 20).toFixed(1)} MiB`);
  }
  for (const t of [...Object.values(net.params), net.runningMean, net.runningVar]) t.dispose();
  return { columns, results };
}
