/**
 * `graft quickstart`: the transfer-learning experiment in one command (see quickstart/run.ts).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_FLAGS, TARGET_FLAGS, classesFlag, numberFlag, stringFlag } from '../flags.js';
import { InterruptHook, EXIT_INTERRUPTED } from '../interrupt.js';
import { resolveDevice, type ModelName } from '../model.js';
import type { FlagSpec, FlagValue } from '../parse.js';
import { duration, percent } from '../report/html.js';
import { QuickstartInterrupted } from '../quickstart/methods.js';
import { runQuickstart, type QuickstartResult } from '../quickstart/run.js';
import { jsonLine, type Command } from './types.js';

/** The shipped supervised backbone, found relative to this file in the repository. */
export const SHIPPED_WEIGHTS: string = fileURLToPath(new URL('../../../../weights/resnet20-fmnist04-supervised.safetensors', import.meta.url));

/**
 * The shipped ResNet-20 backbones by start: supervised on Fashion-MNIST classes 0-4, and SimCLR
 * (self-supervised) on every training image without labels.
 */
export const SHIPPED_STARTS: Readonly<Record<'supervised' | 'simclr', string>> = {
  supervised: SHIPPED_WEIGHTS,
  simclr: fileURLToPath(new URL('../../../../weights/resnet20-fmnist-simclr.safetensors', import.meta.url)),
};

/**
 * A run folder name with the local time: runs/quickstart-20261122-153000.
 * @example
 * timestampedDir('quickstart'); // 'runs/quickstart-20261122-153000'
 */
export function timestampedDir(kind: string, now = new Date()): string {
  const p = (v: number): string => String(v).padStart(2, '0');
  return `runs/${kind}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Development flags: a smaller run for tests and quick looks; not in help. */
const DEV_FLAGS: readonly FlagSpec[] = [
  ['dev-scratch-epochs', 'scratchEpochs'], ['dev-probe-epochs', 'probeEpochs'], ['dev-fine-tune-epochs', 'fineTuneEpochs'],
  ['dev-rounds', 'selfTrainRounds'], ['dev-student-epochs', 'studentEpochs'], ['dev-pseudo-per-class', 'pseudoPerClass'],
  ['dev-pool', 'pool'], ['dev-test', 'test'],
].map(([name]) => ({ name: name as string, type: 'integer', description: 'development: reduced run', hidden: true }));

function devBudget(flags: Record<string, FlagValue>): Record<string, number> {
  const out: Record<string, number> = {};
  const map: Record<string, string> = {
    devScratchEpochs: 'scratchEpochs', devProbeEpochs: 'probeEpochs', devFineTuneEpochs: 'fineTuneEpochs', devRounds: 'selfTrainRounds',
    devStudentEpochs: 'studentEpochs', devPseudoPerClass: 'pseudoPerClass',
  };
  for (const [flag, key] of Object.entries(map)) {
    const v = flags[flag];
    if (typeof v === 'number') {
      if (v < 1) throw new Error(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be >= 1, got ${v}`);
      out[key] = v;
    }
  }
  return out;
}

/**
 * The terminal table of the quickstart: method, test accuracy, macro-F1, seconds.
 * @example
 * process.stdout.write(resultTable(result));
 */
export function resultTable(r: Pick<QuickstartResult, 'methods' | 'selfTraining' | 'outputDir' | 'starts'>): string {
  const rows = r.methods.map((m) => [m.method, percent(m.testAccuracy), m.macroF1.toFixed(3), m.seconds.toFixed(1)]);
  const head = ['method', 'test accuracy', 'macro-F1', 'seconds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const out = ['', line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  for (const row of r.selfTraining) {
    if (row.round === 0) {
      out.push(`self-training teacher (fine-tuned, a fifth of the labels held out): test accuracy ${percent(row.testAccuracy)}, ${duration(row.seconds)}`);
      continue;
    }
    const kept = row.keptPerClass.reduce((a, b) => a + b, 0);
    out.push(`self-training round ${row.round}: ${kept} pseudo-labels (${row.pseudoLabelAccuracy === null ? 'n/a' : percent(row.pseudoLabelAccuracy)} correct), ` +
      `test accuracy ${percent(row.testAccuracy)}, held-out ${percent(row.validationAccuracy)}, ${row.accepted ? 'accepted' : 'worse on held-out labels: stopped'}, ${duration(row.seconds)}`);
  }
  for (const s of r.starts ?? []) {
    out.push(`from the ${s.start} backbone: linear probe ${percent(s.linearProbe.testAccuracy)}, fine-tune ${percent(s.fineTune.testAccuracy)}`);
  }
  out.push('', `Report: ${r.outputDir}/report.html`, '');
  return out.join('\n');
}

/** The `quickstart` command. */
export const quickstartCommand: Command = {
  spec: {
    name: 'quickstart',
    summary: 'Transfer learning in one command: scratch, linear probe, fine-tune and self-training, with report.html.',
    description: 'Target: Fashion-MNIST classes 5-9 with a few labels per class; the shipped ResNet-20 pretrained on classes 0-4 is the ' +
      'starting point. The other target training images form the unlabelled pool; the target test images score every method. ' +
      'Writes metrics.json, metrics.jsonl, the fine-tuned weights and report.html to the run folder. About 1-2 minutes on 2 idle CPU cores.',
    flags: [
      { name: 'output-dir', type: 'string', valueName: 'DIR', description: 'Run folder.', defaultText: 'runs/quickstart-<time>' },
      { name: 'pretrained', type: 'string', choices: ['supervised', 'simclr'], description: 'Shipped backbone to transfer from: supervised on classes 0-4, or SimCLR on all training images without labels.', defaultText: 'supervised' },
      { name: 'weights', type: 'string', valueName: 'FILE', description: 'Pretrained backbone file instead of a shipped one.' },
      { name: 'compare-starts', type: 'boolean', description: 'Also run the linear probe and fine-tuning from the other shipped backbone, and compare the starts (about 30 s more).' },
      { name: 'seed', type: 'integer', description: 'Seed of the label draw, initialisations and augmentations.', defaultText: '0' },
      ...TARGET_FLAGS, ...DATA_FLAGS,
      { name: 'device', type: 'string', valueName: 'DEV', description: 'cpu, cuda, cuda:N or auto.', defaultText: 'auto' },
      ...DEV_FLAGS,
    ],
    examples: [
      'graft quickstart',
      'graft quickstart --labels-per-class 20 --seed 1',
      'graft quickstart --full --output-dir runs/full',
      'graft quickstart --pretrained simclr            # transfer from the self-supervised backbone',
      'graft quickstart --compare-starts               # supervised vs self-supervised vs scratch',
      'graft quickstart --json > results.json',
    ],
  },
  async run(parsed, io) {
    const f = parsed.flags;
    const device = resolveDevice(stringFlag(f, 'device'));
    const pretrained = (stringFlag(f, 'pretrained') ?? 'supervised') as keyof typeof SHIPPED_STARTS;
    const file = stringFlag(f, 'weights');
    const weights = file ?? SHIPPED_STARTS[pretrained];
    if (!existsSync(weights)) throw new Error(`weights ${weights} not found; pass --weights FILE (a ResNet-20 backbone in safetensors)`);
    const start = file === undefined ? pretrained : basename(file);
    const compareStarts = f['compareStarts'] === true ? { ...SHIPPED_STARTS } : undefined;
    const hook = new InterruptHook(io.stderr).install();
    try {
      const result = await runQuickstart({
        outputDir: stringFlag(f, 'outputDir', timestampedDir('quickstart')), weights, start, compareStarts, model: 'resnet20' as ModelName, device,
        seed: numberFlag(f, 'seed', 0), labelsPerClass: numberFlag(f, 'labelsPerClass', 10), classes: classesFlag(f),
        full: f['full'] === true, dataDir: stringFlag(f, 'dataDir'), budget: devBudget(f),
        poolLimit: typeof f['devPool'] === 'number' ? f['devPool'] : undefined, testLimit: typeof f['devTest'] === 'number' ? f['devTest'] : undefined,
        progress: { write: io.stderr, isTTY: io.stderrIsTTY }, interrupt: hook,
      });
      const json = { methods: result.methods, selfTraining: result.selfTraining, ...(result.starts ? { starts: result.starts } : {}) };
      io.stdout(parsed.json ? jsonLine(json) : resultTable(result));
      return 0;
    } catch (error) {
      if (error instanceof QuickstartInterrupted) {
        io.stderr(`${error.message}; nothing of the unfinished method was kept. Run the quickstart again to start over (1-2 minutes).\n`);
        return EXIT_INTERRUPTED;
      }
      throw error;
    } finally {
      hook.uninstall();
    }
  },
};
