/**
 * Train suite: images/s of one training step (forward, cross-entropy, backward, SGD with momentum
 * 0.9, in train mode) for ResNet-20 on 1x28x28 at batch 128 and torchvision ResNet-18 on 3x32x32 at
 * batch 64, Graft beside PyTorch CPU on the same thread count (--threads, default 2), and the peak
 * RSS of each. Each side
 * runs in its own subprocess (this file with `--worker` for Graft), so peak RSS is that side's alone.
 * GRAFT_TRAIN_PROFILE=1 prints, on stderr, Graft's time per kernel (conv per shape) and the rest of the
 * step, and PyTorch's autograd-profiler table of the same step.
 *
 * @example
 * // npm run bench -- train
 * // npm run bench -- train --model resnet20 --batch 128 --json
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runPythonPeer, skip } from '../lib/peers.mjs';
import { progress } from '../lib/report.mjs';

/** Columns of the table, in order. */
export const columns = ['model', 'impl', 'batch', 'images_per_s', 'peak_rss_mb'];

const defaults = [{ model: 'resnet20', batch: 128 }, { model: 'resnet18', batch: 64 }];
const minSeconds = 5;

function graftRow(model, batch, threads, repeat) {
  const args = [fileURLToPath(import.meta.url), '--worker', model, String(batch), String(threads), String(repeat)];
  const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20, env: process.env });
  if (out.status !== 0) {
    skip(`graft ${model}`, `worker exited with ${out.status ?? out.signal}: ${String(out.stderr).trim().split('\n').pop()}`);
    return null;
  }
  const r = JSON.parse(out.stdout);
  if (r.profile) process.stderr.write(`${formatProfile(r)}\n`);
  return { model, impl: 'graft', batch, images_per_s: r.images_per_s, peak_rss_mb: r.peak_rss_mb };
}

function formatProfile(r) {
  const rows = Object.entries(r.profile).sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
  const lines = rows.map(([name, v]) => `  ${name.padEnd(52)} ${v.calls.toFixed(0).padStart(4)} calls ${v.ms.toFixed(1).padStart(7)} ms/step ${(100 * v.ms / r.mean_step_ms).toFixed(1).padStart(5)}%`);
  const head = `profile ${r.model} batch ${r.batch}: mean step ${r.mean_step_ms.toFixed(1)} ms, in kernels ${kernelMs.toFixed(1)} ms, outside kernels ${(r.mean_step_ms - kernelMs).toFixed(1)} ms`;
  return [head, ...lines].join('\n');
}

/**
 * Runs the suite.
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'train', json: true, device: 'cpu', model: 'resnet20', batch: 128 });
 */
export async function run(opts) {
  if (opts.device !== 'cpu') throw new Error('train: only --device cpu is supported');
  const threads = opts.threads ?? 2;
  const repeat = opts.repeat ?? 5;
  let picked = defaults.filter((d) => !opts.model || d.model === opts.model);
  if (picked.length === 0) throw new Error(`train: --model must be resnet20 or resnet18, got '${opts.model}'`);
  if (opts.batch) picked = picked.map((d) => ({ ...d, batch: opts.batch }));
  const results = [];
  for (const { model, batch } of picked) {
    progress(`train ${model} batch ${batch}: graft, ${threads} threads`);
    const g = graftRow(model, batch, threads, repeat);
    if (g) results.push(g);
    progress(`train ${model} batch ${batch}: pytorch`);
    const t = runPythonPeer('torch_train.py', ['--model', model, '--batch', String(batch), '--threads', String(threads),
      '--repeat', String(repeat), '--min-seconds', String(minSeconds), ...(process.env.GRAFT_TRAIN_PROFILE === '1' ? ['--profile'] : [])]);
    if (t?.profile) process.stderr.write(`profile pytorch ${model} batch ${batch} (self CPU time per step, top ops):\n${t.profile}\n`);
    if (t) results.push({ model, impl: 'pytorch', batch, images_per_s: t.images_per_s, peak_rss_mb: t.peak_rss_mb });
  }
  for (const r of results) {
    r.images_per_s = +r.images_per_s.toFixed(1);
    r.peak_rss_mb = +r.peak_rss_mb.toFixed(1);
  }
  return { columns, results };
}

/** Kernels of the addon wrapped with timers: name (conv: name and shape) -> { calls, ms } over the timed steps. */
function instrument(addon) {
  const table = {};
  let on = false;
  for (const [name, fn] of Object.entries(addon)) {
    if (typeof fn !== 'function') continue;
    addon[name] = function timed(...args) {
      if (!on) return fn.apply(this, args);
      const key = name.startsWith('conv2d') && typeof args[0] === 'number'
        ? `${name} ${args[0]},${args[1]},${args[2]}x${args[3]}->${args[4]},${args[5]}x${args[6]},s${args[7]}` : name;
      const entry = (table[key] ??= { calls: 0, ms: 0 });
      const t0 = performance.now();
      try {
        return fn.apply(this, args);
      } finally {
        entry.ms += performance.now() - t0, entry.calls++;
      }
    };
  }
  return { table, start: () => (on = true) };
}

async function worker([model, batchText, threadsText, repeatText]) {
  const native = await import('../../native/dist/index.js');
  const core = await import('../../packages/core/dist/index.js');
  const batch = Number(batchText), repeat = Number(repeatText);
  native.setNumThreads(Number(threadsText));
  const profile = process.env.GRAFT_TRAIN_PROFILE === '1' ? instrument(native.loadAddon()) : null;
  core.manualSeed(0);
  const [net, shape] = model === 'resnet20' ? [core.resnet20({ inChannels: 1, numClasses: 10 }), [1, 28, 28]]
    : [core.resnet18({ numClasses: 10 }), [3, 32, 32]];
  net.train();
  const optimizer = new core.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = core.keep(core.rand([batch, ...shape], { seed: 1, low: -1, high: 1 }));
  const y = core.keep(core.tensor(Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10), { shape: [batch] }));
  const step = () => core.tidy(() => {
    optimizer.zeroGrad();
    core.functional.crossEntropy(net.forward(x), y).backward();
    optimizer.step();
  });
  step(), step(); // warm-up: allocator and momentum buffers
  profile?.start();
  const samples = [];
  while (samples.length < repeat || (samples.reduce((a, b) => a + b, 0) < minSeconds && samples.length < 1000)) {
    const t0 = performance.now();
    step();
    samples.push(performance.now() - t0);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const stepMs = sorted[Math.floor(sorted.length / 2)];
  const meanMs = samples.reduce((a, b) => a + b, 0) / samples.length;
  const perStep = profile && Object.fromEntries(Object.entries(profile.table).filter(([, v]) => v.calls > 0)
    .map(([k, v]) => [k, { calls: v.calls / samples.length, ms: v.ms / samples.length }]));
  process.stdout.write(JSON.stringify({
    model, batch, step_ms: stepMs, mean_step_ms: meanMs, images_per_s: (1000 * batch) / stepMs,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024, profile: perStep ?? undefined,
  }));
}

if (process.argv[2] === '--worker') await worker(process.argv.slice(3));
