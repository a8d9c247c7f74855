#!/usr/bin/env node
// Makes the Fashion-MNIST demo subset bundled with @graft/data: a seeded, class-balanced draw from the
// full IDX files, written as gzipped IDX files with the standard names.
//   node tools/data/make-demo-subset.mjs [--src /usr/share/datasets/fashion-mnist] [--out packages/data/assets/fashion-mnist-subset] [--seed 2026]
// Counts (per class): train 1,500 for classes 0-4 (source pre-training), 1,000 for classes 5-9 (K labels +
// unlabelled pool); test 300 for every class. Items keep their upstream order within the subset.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const src = option('--src', '/usr/share/datasets/fashion-mnist');
const out = option('--out', join(import.meta.dirname ?? '.', '../../packages/data/assets/fashion-mnist-subset'));
const seed = Number(option('--seed', '2026'));
const PER_CLASS = {
  train: [1500, 1500, 1500, 1500, 1500, 1000, 1000, 1000, 1000, 1000],
  t10k: [300, 300, 300, 300, 300, 300, 300, 300, 300, 300],
};

// mulberry32: a tiny seeded generator, enough for a reproducible draw.
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readIdx(file, expectedMagic) {
  const bytes = gunzipSync(readFileSync(file));
  const magic = bytes.readUInt32BE(0);
  if (magic !== expectedMagic) throw new Error(`${file}: magic 0x${magic.toString(16)}, expected 0x${expectedMagic.toString(16)}`);
  const ndim = bytes[3];
  const shape = Array.from({ length: ndim }, (_, d) => bytes.readUInt32BE(4 + 4 * d));
  return { header: bytes.subarray(0, 4 + 4 * ndim), data: bytes.subarray(4 + 4 * ndim), shape };
}

function pick(labels, perClass, rand) {
  const byClass = perClass.map(() => []);
  labels.forEach((label, i) => byClass[label].push(i));
  const chosen = [];
  byClass.forEach((list, c) => {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    if (list.length < perClass[c]) throw new Error(`class ${c} has ${list.length} items, fewer than ${perClass[c]}`);
    chosen.push(...list.slice(0, perClass[c]));
  });
  return chosen.sort((a, b) => a - b);
}

function writeIdx(file, magic, shape, data) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt32BE(magic, 0);
  shape.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  const gz = gzipSync(Buffer.concat([header, data]), { level: 9 });
  writeFileSync(file, gz);
  return { file, bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') };
}

mkdirSync(out, { recursive: true });
const written = [];
for (const [split, perClass] of Object.entries(PER_CLASS)) {
  const images = readIdx(join(src, `${split}-images-idx3-ubyte.gz`), 0x803);
  const labels = readIdx(join(src, `${split}-labels-idx1-ubyte.gz`), 0x801);
  const rand = mulberry32(seed ^ (split === 'train' ? 0x7a11 : 0x7e57));
  const chosen = pick(labels.data, perClass, rand);
  const size = images.shape[1] * images.shape[2];
  const pixels = Buffer.alloc(chosen.length * size);
  chosen.forEach((i, j) => images.data.copy(pixels, j * size, i * size, (i + 1) * size));
  const picked = Buffer.from(chosen.map((i) => labels.data[i]));
  written.push(writeIdx(join(out, `${split}-images-idx3-ubyte.gz`), 0x803, [chosen.length, images.shape[1], images.shape[2]], pixels));
  written.push(writeIdx(join(out, `${split}-labels-idx1-ubyte.gz`), 0x801, [chosen.length], picked));
}
let total = 0;
for (const w of written) {
  total += w.bytes;
  console.log(`${w.file}  ${w.bytes} bytes  sha256 ${w.sha256}`);
}
console.log(`total ${(total / 1e6).toFixed(2)} MB (seed ${seed})`);
