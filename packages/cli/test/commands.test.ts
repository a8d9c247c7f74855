/**
 * End-to-end tests of every training, evaluation and benchmark command: the built `graft` binary in
 * a subprocess on tiny runs (bundled Fashion-MNIST subset, a few steps), checking exit codes, the
 * --json document (exactly one on stdout: field names and types), the files written (weights load
 * back, metrics.jsonl lines parse), and the errors of bad flag values and weights that do not fit.
 * Also: `graft pretrain` and tools/pretrain/fmnist.ts write the same tensors for the flags of each
 * shipped model card (weights/*.md), so the cards can give either command.
 * beforeAll compiles this package against the built dist of its dependencies, as e2e.test.ts does.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained, readSafetensors, resnet20, serializeSafetensors } from '@graft/core';
import { fashionMnist, filterClasses } from '@graft/data';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const backbone = join(root, 'weights/resnet20-fmnist04-supervised.safetensors');
const work = mkdtempSync(join(tmpdir(), 'graft-commands-'));

interface Run { status: number | null; stdout: string; stderr: string }

/** Runs the binary and resolves when it exits (several can run at once: the machine has 2 cores). */
function graft(args: string[], timeout = 120_000): Promise<Run> {
  return run(process.execPath, [bin, ...args], timeout);
}

function run(file: string, args: string[], timeout = 120_000): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd: root, encoding: 'utf8', timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ status, stdout, stderr });
    });
  });
}

/** stdout as exactly one JSON document (JSON.parse rejects anything before or after it). */
function json<T>(r: Run): T {
  expect(r.status, r.stderr.slice(-2000)).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** Runs `jobs` at most `width` at a time (each is a Node process with the native addon), results in order. */
async function inBatches<T>(jobs: Array<() => Promise<T>>, width = 4): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += width) results.push(...await Promise.all(jobs.slice(i, i + width).map((job) => job())));
  return results;
}

/** The object's own keys, sorted: a --json schema check that fails on a missing or an extra field. */
function keys(value: object): string[] {
  return Object.keys(value).sort();
}

const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isFraction = (v: unknown): boolean => isNumber(v) && (v as number) >= 0 && (v as number) <= 1;

/** A square matrix of non-negative integer counts whose sum is `total`. */
function expectConfusion(confusion: unknown, classes: number, total: number): void {
  expect(Array.isArray(confusion)).toBe(true);
  const rows = confusion as number[][];
  expect(rows).toHaveLength(classes);
  for (const row of rows) expect(row.every((c) => Number.isInteger(c) && c >= 0) && row.length === classes).toBe(true);
  expect(rows.flat().reduce((a, b) => a + b, 0)).toBe(total);
}

/** Loads a file into a fresh ResNet-20 by name (strict: every tensor present with its shape). */
async function expectLoads(file: string, numClasses: number, options: { skip?: string } = {}): Promise<void> {
  const model = resnet20({ inChannels: 1, numClasses });
  try {
    const report = await loadPretrained(model, file, options);
    expect(report.missing).toEqual([]);
    expect(report.loaded.length).toBeGreaterThan(100);
  } finally {
    model.dispose();
  }
}

beforeAll(() => {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'packages/cli/tsconfig.json')], { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(existsSync(bin)).toBe(true);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The fine-tuned model of the finetune test; eval, predict and the error cases use it. */
const fineTuned = join(work, 'ft', 'model.safetensors');
let fineTunedJson: { testAccuracy: number; macroF1: number; confusion: number[][] } | undefined;

describe('graft pretrain, finetune, selftrain, eval, predict (built binary)', () => {
  it('pretrain --json prints the model card and writes the backbone with its card', async () => {
    const out = join(work, 'pt', 'denoising');
    const r = await graft(['pretrain', '--task', 'denoising', '--max-steps', '2', '--batch-size', '16', '--skip-accuracy', '--out', out, '--json']);
    const card = json<Record<string, unknown>>(r);
    expect(keys(card)).toEqual(['accuracyMethod', 'batchSize', 'classes', 'command', 'created', 'data', 'epochLosses', 'epochs', 'lr', 'model',
      'seconds', 'seed', 'settings', 'sourceTestAccuracy', 'steps', 'task', 'tensors', 'trainImages']);
    expect(card).toMatchObject({ model: 'resnet20', task: 'denoising', steps: 2, batchSize: 16, seed: 0, epochs: 1, lr: 0.05, tensors: 126, sourceTestAccuracy: null });
    expect(card['command']).toBe(`graft pretrain --task denoising --max-steps 2 --batch-size 16 --skip-accuracy --out ${out} --json`);
    expect(card['data']).toContain('bundled subset');
    expect((card['epochLosses'] as unknown[]).every(isNumber)).toBe(true);
    expect(JSON.parse(readFileSync(`${out}.json`, 'utf8'))).toEqual(card);
    expect(readFileSync(`${out}.md`, 'utf8')).toContain(card['command'] as string);
    await expectLoads(`${out}.safetensors`, 5, { skip: 'fc' });

    // The text mode says where the files are.
    const text = await graft(['pretrain', '--max-steps', '1', '--batch-size', '8', '--skip-accuracy', '--out', join(work, 'pt', 'sup')]);
    expect(text.status).toBe(0);
    expect(text.stdout).toBe(`supervised: 1 steps, source-test accuracy not measured\nwrote ${join(work, 'pt', 'sup')}.safetensors, .json, .md\n`);
  });

  it('finetune --json prints the summary and writes metrics.json, metrics.jsonl and weights that load back', async () => {
    const out = join(work, 'ft');
    const r = await graft(['finetune', '--weights', backbone, '--output-dir', out, '--labels-per-class', '2', '--max-steps', '3',
      '--train-batch-size', '5', '--logging-steps', '1', '--json']);
    const summary = json<Record<string, unknown>>(r);
    expect(keys(summary)).toEqual(['classNames', 'confusion', 'macroF1', 'outputDir', 'seconds', 'steps', 'strategy', 'testAccuracy', 'weights']);
    expect(summary).toMatchObject({ strategy: 'fine-tune', steps: 3, outputDir: out, weights: fineTuned, classNames: ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] });
    expect(isFraction(summary['testAccuracy']) && isFraction(summary['macroF1']) && isNumber(summary['seconds'])).toBe(true);
    expectConfusion(summary['confusion'], 5, 1500); // the bundled subset's 1,500 test images of classes 5-9
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'))).toEqual(summary);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // --logging-steps 1: the loss and learning rate of every step, then the run's end.
    const steps = lines.filter((l) => isNumber(l['loss']) && isNumber(l['learningRate']));
    expect(steps.map((l) => l['step'])).toEqual([1, 2, 3]);
    expect(lines.at(-1)).toMatchObject({ step: 3, stepsRun: 3, stoppedBy: 'maxSteps' });
    expect(isNumber(lines.at(-1)?.['trainLoss'])).toBe(true);
    await expectLoads(fineTuned, 5);
    expect((await readSafetensors(fineTuned)).metadata).toMatchObject({ strategy: 'fine-tune', classes: '5,6,7,8,9' });
    fineTunedJson = summary as typeof fineTunedJson;
  });

  it('eval --json scores the fine-tuned model as finetune did', async () => {
    expect(fineTunedJson, 'needs the finetune test').toBeDefined();
    const result = json<Record<string, unknown>>(await graft(['eval', '--weights', fineTuned, '--json']));
    expect(keys(result)).toEqual(['accuracy', 'classNames', 'confusion', 'images', 'macroF1', 'split']);
    expect(result).toMatchObject({ split: 'test', images: 1500, classNames: ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] });
    // The same weights on the same test images: the same predictions.
    expect(result['accuracy']).toBe(fineTunedJson?.testAccuracy);
    expect(result['macroF1']).toBe(fineTunedJson?.macroF1);
    expect(result['confusion']).toEqual(fineTunedJson?.confusion);
  });

  it('predict --json on a split and on PNG files of the same images gives the same predictions', async () => {
    expect(existsSync(fineTuned), 'needs the finetune test').toBe(true);
    const test = filterClasses(await fashionMnist({ split: 'test', bundled: true }), [5, 6, 7, 8, 9], { remap: true });
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const file = join(work, `test-${i}.png`);
      await sharp(Buffer.from(test.get(i).image as Uint8Array), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
      files.push(file);
    }
    type Row = { input: string; class: number; name: string; confidence: number; trueName?: string };
    const [onSplit, onFiles] = await Promise.all([
      graft(['predict', '--weights', fineTuned, '--split', 'test', '--limit', '3', '--json']),
      graft(['predict', '--weights', fineTuned, ...files, '--json']),
    ]);
    const split = json<{ predictions: Row[] }>(onSplit).predictions;
    const images = json<{ predictions: Row[] }>(onFiles).predictions;
    expect(split.map((r) => r.input)).toEqual(['test[0]', 'test[1]', 'test[2]']);
    expect(images.map((r) => r.input)).toEqual(files);
    const names = ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    for (const [i, r] of split.entries()) {
      expect(keys(r)).toEqual(['class', 'confidence', 'input', 'name', 'trueName']);
      expect(r.name).toBe(names[r.class - 5]);
      expect(r.trueName).toBe(names[test.get(i).label]);
      expect(r.confidence).toBeGreaterThanOrEqual(0.2); // the arg-max of 5 softmax outputs
      expect(r.confidence).toBeLessThanOrEqual(1);
      const f = images[i] as Row;
      expect(keys(f)).toEqual(['class', 'confidence', 'input', 'name']);
      // PNG is lossless and 28x28 needs no resizing: the same pixels, so the same class and softmax
      // (tolerance: float rounding of the same arithmetic in a different batch shape).
      expect(f.class).toBe(r.class);
      expect(f.confidence).toBeCloseTo(r.confidence, 5);
    }
  });

  it('selftrain --json prints the per-round table and writes the chosen model', async () => {
    const out = join(work, 'st');
    const r = await graft(['selftrain', '--weights', backbone, '--output-dir', out, '--labels-per-class', '5', '--rounds', '1', '--teacher-epochs', '2',
      '--student-epochs', '1', '--dev-pool', '100', '--dev-test', '50', '--json']);
    const result = json<{ rounds: Array<Record<string, unknown>>; bestRound: number; weights: string }>(r);
    expect(keys(result)).toEqual(['bestRound', 'rounds', 'weights']);
    expect(result.weights).toBe(join(out, 'model.safetensors'));
    expect([0, 1]).toContain(result.bestRound);
    expect(result.rounds.map((x) => x['round'])).toEqual([0, 1]);
    const [teacher, student] = result.rounds as [Record<string, unknown>, Record<string, unknown>];
    expect(keys(teacher)).toEqual(['accepted', 'round', 'seconds', 'test', 'validation']);
    expect(keys(student)).toEqual(['accepted', 'pseudoLabels', 'round', 'seconds', 'test', 'validation']);
    for (const round of result.rounds) {
      for (const part of ['validation', 'test']) {
        const m = round[part] as Record<string, unknown>;
        expect(keys(m)).toEqual(['accuracy', 'loss', 'macroF1', 'n']);
        expect(isFraction(m['accuracy']) && isFraction(m['macroF1']) && isNumber(m['loss'])).toBe(true);
      }
      expect((round['test'] as { n: number }).n).toBe(50);
      expect(typeof round['accepted']).toBe('boolean');
    }
    const pseudo = student['pseudoLabels'] as { keptPerClass: number[]; rows: number; accuracy: number };
    expect(pseudo.keptPerClass).toHaveLength(5);
    expect(pseudo.keptPerClass.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100);
    expect(isFraction(pseudo.accuracy)).toBe(true);
    await expectLoads(result.weights, 5);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'))).toMatchObject({ rounds: result.rounds, bestRound: result.bestRound });
  });
});

describe('graft bench (built binary, smallest settings)', () => {
  // Row fields per suite (benchmarks/suites/*.mjs columns); peers that are not installed are skipped, so only Graft's rows are required.
  const suites: Array<[suite: string, args: string[], fields: string[]]> = [
    ['gemm', ['--sizes', '16', '--repeat', '1'], ['device', 'gflops', 'impl', 'n', 'op', 'seconds', 'threads']],
    ['conv', ['--model', 'resnet20', '--batch', '1', '--repeat', '1'], ['gflops', 'impl', 'model', 'op', 'seconds', 'shape', 'threads']],
    ['data', ['--repeat', '1'], ['dataset', 'images', 'images_per_s', 'name', 'seconds', 'workers']],
    ['train', ['--model', 'resnet20', '--batch', '2', '--repeat', '1'], ['batch', 'images_per_s', 'impl', 'model', 'peak_rss_mb']],
  ];

  it('gemm, conv, data and train --json print { results } with each suite\'s columns', async () => {
    // One at a time: each suite keeps the native thread pool busy, and two pools on two cores slow both down several times.
    const runs = await inBatches(suites.map(([suite, args]) => () => graft(['bench', suite, ...args, '--json'])), 1);
    for (const [i, [suite, , fields]] of suites.entries()) {
      const r = runs[i] as Run;
      expect(r.status, `${suite}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout) as { results: Array<Record<string, unknown>> };
      expect(keys(out)).toEqual(['results']);
      const ours = out.results.filter((row) => row['impl'] === undefined || row['impl'] === 'graft');
      expect(ours.length, suite).toBeGreaterThan(0);
      for (const row of out.results) expect(keys(row), suite).toEqual(fields);
      for (const row of ours) {
        const measured = row['seconds'] ?? row['images_per_s'];
        expect(isNumber(measured) && (measured as number) > 0, suite).toBe(true);
      }
    }
    expect(runs[0]?.stdout).toContain('"n":16');
  });
});

describe('graft errors (built binary)', () => {
  it('bad flag values exit 2 with a message naming the flag, before any work', async () => {
    const cases: Array<[args: string[], flag: string]> = [
      [['pretrain', '--lr', '0'], '--lr must be > 0, got 0'],
      [['pretrain', '--epochs', '1.5'], "--epochs expects an integer, got '1.5'"],
      [['pretrain', '--task', 'mae'], '--task'],
      [['pretrain', '--temperature', '-1'], '--temperature must be > 0'],
      [['finetune', '--weights', backbone, '--learning-rate', '-0.1'], '--learning-rate must be a number > 0, got -0.1'],
      [['finetune', '--weights', backbone, '--num-train-epochs', '0'], '--num-train-epochs must be an integer >= 1, got 0'],
      [['finetune', '--weights', backbone, '--labels-per-class', '0'], '--labels-per-class must be >= 1, got 0'],
      [['finetune', '--weights', backbone, '--warmup-ratio', '1'], '--warmup-ratio must be in [0, 1)'],
      [['finetune', '--weights', backbone, '--load-best-model-at-end'], '--load-best-model-at-end needs evaluations: set --eval-strategy'],
      [['finetune', '--weights', backbone, '--optimizer', 'lion'], '--optimizer'],
      [['finetune', '--weights', backbone, '--classes', '5,5'], '--classes'],
      [['finetune'], '--strategy fine-tune needs --weights'],
      [['finetune', '--strategy', 'scratch', '--weights', backbone], '--strategy scratch'],
      [['finetune', '--weights', backbone, '--resume'], '--resume needs --output-dir'],
      [['selftrain', '--weights', backbone, '--threshold', '1.5'], '--threshold must be > 0 and <= 1, got 1.5'],
      [['selftrain', '--weights', backbone, '--rounds', '0'], '--rounds must be >= 1, got 0'],
      [['selftrain'], 'needs --weights'],
      [['eval', '--weights', fineTuned, '--split', 'val'], '--split'],
      [['eval', '--weights', fineTuned, '--classes', '0,1,2'], '--classes with 5'],
      [['predict', '--weights', fineTuned, '--split', 'test', '--limit', '0'], '--limit must be >= 1, got 0'],
      [['predict', '--weights', fineTuned], 'needs image files or --split'],
      [['predict', '--weights', fineTuned, join(work, 'notes.txt')], 'is not a .png or .jpg image'],
      [['bench', 'gemm', '--batch', '0'], '--batch must be >= 1, got 0'],
      [['bench', 'nosuch'], "unknown suite 'nosuch'"],
      [['inspect'], 'needs <file>'],
    ];
    expect(existsSync(fineTuned), 'needs the finetune test').toBe(true);
    const runs = await inBatches(cases.map(([args]) => () => graft(args, 60_000)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = runs[i] as Run;
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });

  it('weights that do not fit the model list the mismatched tensors', async () => {
    // The shipped backbone with a 3-channel stem and a wider last block: two tensors that cannot load.
    const { tensors } = await readSafetensors(backbone);
    const bad = new Map(tensors);
    bad.set('conv1.weight', { dtype: 'F32', shape: [16, 3, 3, 3], data: new Float32Array(16 * 27) });
    bad.set('layer3.2.bn2.weight', { dtype: 'F32', shape: [128], data: new Float32Array(128) });
    const badFile = join(work, 'bad.safetensors');
    writeFileSync(badFile, serializeSafetensors(bad));
    const [ft, st, wrongModel, headless, missing, folder] = await Promise.all([
      graft(['finetune', '--weights', badFile, '--output-dir', join(work, 'bad-ft'), '--max-steps', '1']),
      graft(['selftrain', '--weights', badFile, '--output-dir', join(work, 'bad-st')]),
      graft(['eval', '--weights', fineTuned, '--model', 'resnet32']),
      graft(['eval', '--weights', backbone]),
      graft(['predict', '--weights', join(work, 'nope.safetensors'), '--split', 'test']),
      graft(['inspect', work]),
    ]);
    for (const r of [ft, st]) {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`weights ${badFile} do not fit this model`);
      expect(r.stderr).toContain('conv1.weight expected [16, 1, 3, 3] got [16, 3, 3, 3]');
      expect(r.stderr).toContain('layer3.2.bn2.weight expected [64] got [128]');
      expect(r.stdout).toBe('');
    }
    expect(existsSync(join(work, 'bad-ft', 'model.safetensors'))).toBe(false);
    expect(wrongModel.status).toBe(1);
    expect(wrongModel.stderr).toMatch(/do not fit this model: .*missing: layer1\.3\.conv1\.weight/);
    expect(headless.status).toBe(1);
    expect(headless.stderr).toContain('have no head (fc.weight)');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.safetensors');
    expect(folder.status).toBe(1);
    expect(folder.stderr).toContain(`${work} is not a file`);
  });
});

describe('graft pretrain and tools/pretrain/fmnist.ts', () => {
  // The flags of each shipped model card (weights/*.md), plus --max-steps 3 on the bundled subset and
  // without the accuracy measurement: both entry points must build the same options and so write
  // byte-identical tensors; the cards may differ only in the command and the clock.
  const cards: Array<[name: string, flags: string[]]> = [
    ['resnet20-fmnist04-supervised', ['--task', 'supervised', '--classes', '0,1,2,3,4', '--epochs', '6', '--lr', '0.1', '--seed', '0']],
    ['resnet20-fmnist-simclr', ['--task', 'simclr', '--epochs', '2', '--lr', '0.1', '--temperature', '0.5', '--seed', '0']],
  ];

  it.each(cards)('%s: the same tensors and card for 3 steps', async (name, flags) => {
    // The card's two commands are these flags, on the full data, written to the shipped file.
    const card = JSON.parse(readFileSync(join(root, `weights/${name}.json`), 'utf8')) as { command: string; alternativeCommand: string };
    expect(card.command).toBe(`node packages/cli/dist/bin.js pretrain ${flags.join(' ')} --full --out weights/${name}`);
    expect(card.alternativeCommand).toBe(`npx vite-node --config vitest.config.ts tools/pretrain/fmnist.ts -- ${flags.join(' ')} --out weights/${name}`);
    const markdown = readFileSync(join(root, `weights/${name}.md`), 'utf8');
    for (const command of [card.command, card.alternativeCommand]) expect(markdown).toContain(`\n${command}\n`);
    const dir = mkdtempSync(join(work, 'eq-'));
    const quick = ['--max-steps', '3', '--skip-accuracy'];
    const tool = await run(process.execPath, [join(root, 'node_modules/vite-node/vite-node.mjs'), '--config', 'vitest.config.ts', 'tools/pretrain/fmnist.ts', '--',
      ...flags, ...quick, '--bundled', '--out', join(dir, 'tool')]);
    const cli = await graft(['pretrain', ...flags, ...quick, '--out', join(dir, 'cli')]);
    expect(tool.status, tool.stderr).toBe(0);
    expect(cli.status, cli.stderr).toBe(0);
    const a = readFileSync(join(dir, 'tool.safetensors'));
    const b = readFileSync(join(dir, 'cli.safetensors'));
    expect(a.length).toBeGreaterThan(4 * 270_000);
    expect(a.equals(b)).toBe(true);
    const drop = ({ command: _c, seconds: _s, created: _t, ...rest }: Record<string, unknown>): Record<string, unknown> => rest;
    const toolCard = JSON.parse(readFileSync(join(dir, 'tool.json'), 'utf8')) as Record<string, unknown>;
    const cliCard = JSON.parse(readFileSync(join(dir, 'cli.json'), 'utf8')) as Record<string, unknown>;
    expect(drop(cliCard)).toEqual(drop(toolCard));
    expect(cliCard).toMatchObject({ steps: 3, seed: 0, lr: 0.1 });
  });
});
