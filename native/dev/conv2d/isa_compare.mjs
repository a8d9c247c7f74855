#!/usr/bin/env node
// Times the addon's conv2d passes on ResNet layers with the AVX-512 paths on and off, interleaved
// round by round so both see the same machine load; prints the best time of each. With CLOCK=cpu it
// times process CPU time (all threads), which still compares the work on an oversubscribed machine.
//   GRAFT_ADDON_PATH=$PWD/native/build-perf/Release/graft.node node native/dev/conv2d/isa_compare.mjs [threads] [rounds]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require(process.env.GRAFT_ADDON_PATH ?? '../../build/Release/graft.node');
const threads = Number(process.argv[2] ?? 2), rounds = Number(process.argv[3] ?? 5);
addon.setNumThreads(threads);

// [label, n, c, h, w, k, r, s, stride, pad]
const shapes = [
  ['r20 stem', 128, 1, 28, 28, 16, 3, 3, 1, 1],
  ['r20 16x28', 128, 16, 28, 28, 16, 3, 3, 1, 1],
  ['r20 32x14', 128, 32, 14, 14, 32, 3, 3, 1, 1],
  ['r20 64x7', 128, 64, 7, 7, 64, 3, 3, 1, 1],
  ['r20 16>32 s2', 128, 16, 28, 28, 32, 3, 3, 2, 1],
  ['r20 32>64 s2', 128, 32, 14, 14, 64, 3, 3, 2, 1],
  ['r20 1x1 s2', 128, 16, 28, 28, 32, 1, 1, 2, 0],
  ['r18 64x8', 64, 64, 8, 8, 64, 3, 3, 1, 1],
  ['r18 128x4', 64, 128, 4, 4, 128, 3, 3, 1, 1],
  ['r18 256x2', 64, 256, 2, 2, 256, 3, 3, 1, 1],
  ['r18-224 64x56', 4, 64, 56, 56, 64, 3, 3, 1, 1],
  ['r18-224 512x7', 4, 512, 7, 7, 512, 3, 3, 1, 1],
];

function random(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = s / 2 ** 32 - 0.5; }
  return out;
}

const cpuClock = process.env.CLOCK === 'cpu';
function time(fn) {
  if (cpuClock) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e3;
  }
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

console.log(`threads ${threads}, rounds ${rounds}, ${cpuClock ? 'CPU' : 'wall'} ms (best of rounds)`);
console.log('layer'.padEnd(16), 'isa'.padEnd(7), 'fwd'.padStart(8), 'bwd-data'.padStart(9), 'bwd-wt'.padStart(8), 'total'.padStart(8));
for (const [label, n, c, h, w, k, r, s, stride, padding] of shapes) {
  const dims = [n, c, h, w, k, r, s, stride, stride, padding, padding, 1, 1, 1];  // the raw binding's sizes
  const p = Math.floor((h + 2 * padding - r) / stride) + 1, q = Math.floor((w + 2 * padding - s) / stride) + 1;
  const x = random(n * c * h * w, 1), weight = random(k * c * r * s, 2), dy = random(n * k * p * q, 3);
  const y = new Float32Array(n * k * p * q), dx = new Float32Array(x.length), dw = new Float32Array(weight.length);
  const best = { avx512: [Infinity, Infinity, Infinity], avx2: [Infinity, Infinity, Infinity] };
  for (let round = 0; round < rounds; round++) {
    for (const isa of ['avx512', 'avx2']) {
      addon.setIsa(isa);
      const t = [
        time(() => addon.conv2dForward(...dims, x, weight, null, y)),
        time(() => addon.conv2dBackwardData(...dims, dy, weight, dx)),
        time(() => addon.conv2dBackwardWeight(...dims, x, dy, dw, null)),
      ];
      best[isa] = best[isa].map((b, i) => Math.min(b, t[i]));
    }
  }
  for (const isa of ['avx512', 'avx2']) {
    const [f, d, wt] = best[isa];
    console.log(label.padEnd(16), isa.padEnd(7), f.toFixed(2).padStart(8), d.toFixed(2).padStart(9), wt.toFixed(2).padStart(8),
      (f + d + wt).toFixed(2).padStart(8));
  }
}
addon.setIsa('auto');
