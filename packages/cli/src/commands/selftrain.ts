/**
 * `graft selftrain`: @graft/selftrain's SelfTrainer on the target task: a teacher fine-tuned from the
 * pretrained weights on the labels (a fifth held out for its stop rule), then rounds of balanced
 * pseudo-labels and a noised student; prints the per-round table and writes the final model.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { saveTensors, type ResNet } from '@graft/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '@graft/data';
import { writeJsonAtomic } from '@graft/finetune';
import { SelfTrainer, viewTransforms, type RoundReport } from '@graft/selftrain';
import { loadTransferData } from '../data.js';
import { DATA_FLAGS, MODEL_FLAGS, TARGET_FLAGS, checkFlagRange, classesFlag, numberFlag, stringFlag } from '../flags.js';
import { buildModel, loadWeights, resolveDevice, type ModelName } from '../model.js';
import { UsageError, type FlagSpec, type FlagValue } from '../parse.js';
import { Progress } from '../progress.js';
import { percent } from '../report/html.js';
import { timestampedDir } from './quickstart.js';
import { jsonLine, type Command } from './types.js';

function row(r: RoundReport): string {
  const p = r.pseudoLabels;
  return `round ${r.round}${r.round === 0 ? ' (teacher)' : ''}: ${p ? `kept ${p.keptPerClass.join('/')}${p.accuracy === undefined ? '' : ` (${percent(p.accuracy)} correct)`}, ` : ''}` +
    `validation ${percent(r.validation.accuracy)}, test ${r.test ? percent(r.test.accuracy) : 'n/a'}, macro-F1 ${r.test ? r.test.macroF1.toFixed(3) : 'n/a'}` +
    `${r.accepted ? '' : ' (worse on validation than the best round: stopped, the best model is kept)'}, ${r.seconds.toFixed(1)} s`;
}

/** Reduced runs for development and tests (as quickstart's --dev-pool and --dev-test): accepted, not listed in help. */
const DEV_FLAGS: readonly FlagSpec[] = [
  { name: 'dev-pool', type: 'integer', description: 'development: keep n pool images, evenly spaced', hidden: true },
  { name: 'dev-test', type: 'integer', description: 'development: keep n test images, evenly spaced', hidden: true },
];

/** Range checks of the numeric flags, before any data is read: a bad value exits 2 naming the flag. */
function checkFlags(f: Record<string, FlagValue>): void {
  for (const key of ['labelsPerClass', 'rounds', 'studentEpochs', 'teacherEpochs', 'devPool', 'devTest']) checkFlagRange(f, key, { atLeast: 1 });
  checkFlagRange(f, 'threshold', { above: 0, atMost: 1 });
}

/** The `selftrain` command. */
export const selftrainCommand: Command = {
  spec: {
    name: 'selftrain',
    summary: 'Self-training: fine-tuned teacher, class-balanced pseudo-labels on the unlabelled pool, noised students.',
    description: 'The teacher is fine-tuned from --weights on 80% of the labels; the other 20% decide whether a student replaces its teacher. ' +
      'The pool is the rest of the target training images; the pseudo-labels are scored against their withheld labels for the report only.',
    flags: [
      ...MODEL_FLAGS, ...TARGET_FLAGS, ...DATA_FLAGS,
      { name: 'output-dir', type: 'string', valueName: 'DIR', description: 'Run folder.', defaultText: 'runs/selftrain-<time>' },
      { name: 'rounds', type: 'integer', description: 'Student rounds.', defaultText: '2' },
      { name: 'threshold', type: 'number', description: 'Confidence threshold in (0, 1].', defaultText: '0.9' },
      { name: 'teacher-epochs', type: 'integer', description: 'Train the teacher with the plain recipe (all layers from the first step) for N epochs instead of LP-FT.', defaultText: 'LP-FT: 100 probe + 30 fine-tune epochs' },
      { name: 'student-epochs', type: 'integer', description: 'Passes of each student over its training set.', defaultText: '2' },
      { name: 'seed', type: 'integer', description: 'Seed.', defaultText: '0' },
      ...DEV_FLAGS,
    ],
    examples: [
      'graft selftrain --weights weights/resnet20-fmnist04-supervised.safetensors',
      'graft selftrain --weights weights/resnet20-fmnist04-supervised.safetensors --rounds 3 --threshold 0.95 --full --json',
    ],
  },
  async run(parsed, io) {
    const f = parsed.flags;
    const device = resolveDevice(stringFlag(f, 'device'));
    checkFlags(f);
    const weights = stringFlag(f, 'weights');
    if (!weights) throw new UsageError('selftrain needs --weights FILE (the pretrained backbone)', 'selftrain');
    const seed = numberFlag(f, 'seed', 0);
    const outputDir = stringFlag(f, 'outputDir') ?? timestampedDir('selftrain');
    const data = await loadTransferData({
      classes: classesFlag(f), labelsPerClass: numberFlag(f, 'labelsPerClass', 10), seed, full: f['full'] === true, dataDir: stringFlag(f, 'dataDir'),
      poolLimit: typeof f['devPool'] === 'number' ? f['devPool'] : undefined, testLimit: typeof f['devTest'] === 'number' ? f['devTest'] : undefined,
    });
    const make = async (): Promise<ResNet> => {
      const m = buildModel((stringFlag(f, 'model') ?? 'resnet20') as ModelName, data.classNames.length, seed, device);
      await loadWeights(m, weights, { skipHead: true });
      return m;
    };
    const progress = new Progress({ write: io.stderr, isTTY: io.stderrIsTTY }, 'selftrain');
    const trainer = new SelfTrainer({
      model: await make(), createStudent: make, labelled: data.labelled, pool: data.pool, test: data.test, seed,
      transforms: viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD }), rounds: numberFlag(f, 'rounds', 2),
      pseudo: { threshold: numberFlag(f, 'threshold', 0.9) }, studentTraining: { epochs: numberFlag(f, 'studentEpochs', 2) },
      ...(typeof f['teacherEpochs'] === 'number' ? { teacherTraining: { epochs: f['teacherEpochs'] } } : {}),
      callbacks: { onStep: (_round, s) => progress.update(s.step, s.totalSteps, s.loss), onRound: (r) => io.stderr(`\n${row(r)}\n`) },
    });
    const result = await trainer.run();
    mkdirSync(outputDir, { recursive: true });
    const file = join(outputDir, 'model.safetensors');
    await saveTensors(file, result.model.stateDict(), { format: 'pt', method: 'self-train', bestRound: String(result.bestRound) });
    writeJsonAtomic(join(outputDir, 'metrics.json'), { rounds: result.rounds, bestRound: result.bestRound, classNames: data.classNames });
    result.model.dispose();
    io.stdout(parsed.json ? jsonLine({ rounds: result.rounds, bestRound: result.bestRound, weights: file }) : `${result.rounds.map(row).join('\n')}\nbest round ${result.bestRound}; weights: ${file}\n`);
    return 0;
  },
};
