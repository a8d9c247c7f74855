/**
 * CUDA train suite: images/s of one training step on the GPU (forward, cross-entropy, backward, SGD
 * with momentum 0.9, train mode), Graft beside PyTorch eager CUDA in the same run, with each side's
 * peak device memory. Default: torchvision ResNet-18 at batch 128 on 3x224x224 (1000 classes) and
 * ResNet-20 at batch 128 on 1x28x28. Each side runs twice: with TF32 off everywhere (float32 FMA), and
 * with PyTorch's defaults (cuDNN convolutions in TF32), which for Graft is setCudaConvPrecision('tf32').
 * Each side runs in its own subprocess (this file with `--worker` for Graft). Without a CUDA device the suite says
 * why on stderr and returns no rows.
 *
 * @example
 * // npm run bench -- train_cuda
 * // npm run bench -- train_cuda --model resnet18 --batch 64 --json
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as native from '../../native/dist/index.js';
import { runPythonPeer, skip } from '../lib/peers.mjs';
import { progress } from '../lib/report.mjs';

/** Columns of the table, in order. */
export const columns = ['model', 'impl', 'precision', 'batch', 'images_per_s', 'step_ms', 'peak_device_mb'];

const defaults = [{ model: 'resnet18', batch: 128 }, { model: 'resnet20', batch: 128 }];
const minSeconds = 5;

function graftRow(model, batch, repeat, convPrecision) {
  const args = [fileURLToPath(import.meta.url), '--worker', model, String(batch), String(repeat), convPrecision];
  const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20, env: process.env });
  if (out.status !== 0) {
    skip(`graft ${model}`, `worker exited with ${out.status ?? out.signal}: ${String(out.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    return null;
  }
  const r = JSON.parse(out.stdout);
  const precision = convPrecision === 'tf32' ? 'conv tf32' : 'float32';
  return { model, impl: 'graft', precision, batch, images_per_s: r.images_per_s, step_ms: r.step_ms, peak_device_mb: r.peak_device_mb };
}

function torchRows(model, batch, repeat) {
  const rows = [];
  for (const tf32 of [false, true]) {
    const t = runPythonPeer('torch_train_cuda.py', ['--model', model, '--batch', String(batch), '--repeat', String(repeat),
      '--min-seconds', String(minSeconds), ...(tf32 ? ['--tf32'] : [])]);
    if (t?.error) skip('pytorch cuda', t.error);
    else if (t) {
      progress(`pytorch ${t.torch} on ${t.device} (cuDNN ${t.cudnn})`);
      rows.push({ model, impl: 'pytorch', precision: tf32 ? 'default (conv tf32)' : 'float32', batch,
        images_per_s: t.images_per_s, step_ms: 1000 * t.seconds, peak_device_mb: t.peak_device_mb });
    }
  }
  return rows;
}

/**
 * Runs the suite.
 * @param {import('../lib/options.mjs').BenchOptions} opts
 * @returns {Promise<{ columns: string[], results: object[] }>}
 * @example
 * const { results } = await run({ suite: 'train_cuda', json: true, device: 'cuda', model: 'resnet18', batch: 128 });
 */
export async function run(opts) {
  const repeat = opts.repeat ?? 10;
  let picked = defaults.filter((d) => !opts.model || d.model === opts.model);
  if (picked.length === 0) throw new Error(`train_cuda: --model must be resnet18 or resnet20, got '${opts.model}'`);
  if (opts.batch) picked = picked.map((d) => ({ ...d, batch: opts.batch }));
  const results = [];
  if (!native.cudaAvailable()) {
    skip('graft cuda', native.capabilities().cudaUnavailableReason || 'no CUDA device');
    return { columns, results };
  }
  const gpu = native.capabilities().cudaDevices[0];
  progress(`train_cuda on ${gpu.name} (compute ${gpu.computeCapability})`);
  for (const { model, batch } of picked) {
    for (const convPrecision of ['float32', 'tf32']) {
      progress(`train_cuda ${model} batch ${batch}: graft (conv ${convPrecision})`);
      const g = graftRow(model, batch, repeat, convPrecision);
      if (g) results.push(g);
    }
    progress(`train_cuda ${model} batch ${batch}: pytorch`);
    results.push(...torchRows(model, batch, repeat));
  }
  for (const r of results) {
    r.images_per_s = +r.images_per_s.toFixed(1);
    r.step_ms = +r.step_ms.toFixed(2);
    r.peak_device_mb = +r.peak_device_mb.toFixed(0);
  }
  return { columns, results };
}

async function worker([model, batchText, repeatText, convPrecision = 'float32']) {
  const core = await import('../../packages/core/dist/index.js');
  const batch = Number(batchText), repeat = Number(repeatText);
  core.setCudaConvPrecision(convPrecision);
  core.manualSeed(0);
  const [net, shape, classes] = model === 'resnet20' ? [core.resnet20({ inChannels: 1, numClasses: 10 }), [1, 28, 28], 10]
    : [core.resnet18({ numClasses: 1000 }), [3, 224, 224], 1000];
  net.to('cuda');
  net.train();
  const optimizer = new core.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = core.keep(core.rand([batch, ...shape], { seed: 1, low: -1, high: 1, device: 'cuda' }));
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % classes);
  const y = core.keep(core.tensor(labels, { shape: [batch], device: 'cuda' }));
  const step = () => {
    core.tidy(() => {
      optimizer.zeroGrad();
      core.functional.crossEntropy(net.forward(x), y).backward();
      core.noGrad(() => optimizer.step());
    });
    native.cudaSynchronize();  // the step is done when the GPU is
  };
  step(), step(); // warm-up: the caching allocator and momentum buffers
  const samples = [];
  while (samples.length < repeat || (samples.reduce((a, b) => a + b, 0) < minSeconds * 1000 && samples.length < 1000)) {
    const t0 = performance.now();
    step();
    samples.push(performance.now() - t0);
  }
  const stepMs = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  process.stdout.write(JSON.stringify({
    model, batch, step_ms: stepMs, images_per_s: (1000 * batch) / stepMs,
    peak_device_mb: native.cudaMemoryStats().peakBytes / 2 ** 20,
  }));
}

if (process.argv[2] === '--worker') await worker(process.argv.slice(3));
