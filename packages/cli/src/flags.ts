/**
 * Flag groups shared by commands: TrainingArguments in kebab-case, data selection, the model and
 * its weights, and the device; with the conversions from parsed flags to library options.
 */
import { resolveArguments, type TrainingArguments } from '@graft/finetune';
import { UsageError, kebabCase, type FlagSpec, type FlagValue } from './parse.js';

/** Every TrainingArguments setting a flag can carry, with its flag type. */
type TrainingKey = [key: keyof TrainingArguments, type: FlagSpec['type'], description: string, choices?: readonly string[]];
const TRAINING_KEYS: readonly TrainingKey[] = [
  ['outputDir', 'string', 'Folder for metrics.jsonl, checkpoints and results.'],
  ['numTrainEpochs', 'integer', 'Epochs over the training data.'],
  ['maxSteps', 'integer', 'Optimizer steps in all (overrides --num-train-epochs).'],
  ['trainBatchSize', 'integer', 'Images per training batch.'],
  ['evalBatchSize', 'integer', 'Images per evaluation batch.'],
  ['learningRate', 'number', 'Base learning rate (the head\'s; pretrained layers get a tenth).'],
  ['weightDecay', 'number', 'Weight decay.'],
  ['optimizer', 'string', 'Optimizer.', ['sgd', 'adam', 'adamw']],
  ['momentum', 'number', 'SGD momentum.'],
  ['lrScheduler', 'string', 'Learning-rate schedule.', ['constant', 'linear', 'cosine', 'onecycle', 'step']],
  ['warmupSteps', 'integer', 'Warm-up steps.'],
  ['warmupRatio', 'number', 'Warm-up as a fraction of all steps.'],
  ['gradientAccumulationSteps', 'integer', 'Batches summed per optimizer step.'],
  ['maxGradNorm', 'number', 'Clip the global gradient norm to this.'],
  ['labelSmoothing', 'number', 'Label smoothing in [0, 1).'],
  ['evalStrategy', 'string', 'When to evaluate.', ['no', 'steps', 'epoch']],
  ['evalSteps', 'integer', 'Evaluate every this many steps (with --eval-strategy steps).'],
  ['saveStrategy', 'string', 'When to save a checkpoint.', ['no', 'steps', 'epoch']],
  ['saveSteps', 'integer', 'Save every this many steps (with --save-strategy steps).'],
  ['saveTotalLimit', 'integer', 'Checkpoints kept (the best is kept as well).'],
  ['loadBestModelAtEnd', 'boolean', 'Load the best checkpoint when training ends.'],
  ['metricForBestModel', 'string', 'Metric that picks the best checkpoint (accuracy, macroF1, loss).'],
  ['greaterIsBetter', 'boolean', 'Whether a larger metric is better.'],
  ['earlyStoppingPatience', 'integer', 'Stop after this many evaluations without improvement.'],
  ['earlyStoppingThreshold', 'number', 'Smallest improvement that counts.'],
  ['seed', 'integer', 'Seed of the split, the initialisation, the shuffles and the augmentations.'],
  ['loggingSteps', 'integer', 'Log the training loss every this many steps.'],
  ['dataloaderWorkers', 'integer', 'Worker threads preparing batches.'],
];

/** TrainingArguments as flags (kebab-case), plus --resume and --resume-from-checkpoint. */
export const TRAINING_FLAGS: readonly FlagSpec[] = [
  ...TRAINING_KEYS.map(([key, type, description, choices]): FlagSpec => ({
    name: key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), type, description, ...(choices ? { choices } : {}),
  })),
  { name: 'resume', type: 'boolean', description: 'Continue from the newest checkpoint in --output-dir (written on Ctrl-C or by --save-strategy).' },
  { name: 'resume-from-checkpoint', type: 'string', valueName: 'FILE', description: 'Continue from this checkpoint file.' },
];

/** Where the images come from. */
export const DATA_FLAGS: readonly FlagSpec[] = [
  { name: 'full', type: 'boolean', description: 'Use the full Fashion-MNIST (Debian dataset-fashion-mnist) instead of the bundled subset.' },
  { name: 'data-dir', type: 'string', valueName: 'DIR', description: 'Folder with the Fashion-MNIST IDX files (implies the full data).' },
];

/** The target task. */
export const TARGET_FLAGS: readonly FlagSpec[] = [
  { name: 'classes', type: 'list', valueName: 'LIST', description: 'Target classes, e.g. 5,6,7,8,9 (relabelled 0..n-1).', defaultText: '5,6,7,8,9' },
  { name: 'labels-per-class', type: 'integer', description: 'Labelled training images per target class (seeded draw).', defaultText: '10' },
];

/** The model and its weights. */
export const MODEL_FLAGS: readonly FlagSpec[] = [
  { name: 'model', type: 'string', description: 'Architecture.', choices: ['resnet20', 'resnet32', 'resnet56'], defaultText: 'resnet20' },
  { name: 'weights', type: 'string', valueName: 'FILE', description: 'safetensors weights to start from.' },
  { name: 'device', type: 'string', valueName: 'DEV', description: 'cpu, cuda, cuda:N or auto.', defaultText: 'auto' },
];

/**
 * TrainingArguments from parsed flags over `defaults`; `--resume` becomes resumeFromCheckpoint: true.
 * The values are not checked here (see {@link checkTrainingArguments}).
 * @example
 * trainingArgumentsFrom({ learningRate: 0.01 }, { outputDir: 'runs/a' }); // { outputDir: 'runs/a', learningRate: 0.01 }
 */
export function trainingArgumentsFrom(flags: Record<string, FlagValue>, defaults: TrainingArguments): TrainingArguments {
  const args: Record<string, unknown> = { ...defaults };
  for (const [key] of TRAINING_KEYS) if (flags[key] !== undefined) args[key] = flags[key];
  if (typeof flags['resumeFromCheckpoint'] === 'string') args['resumeFromCheckpoint'] = flags['resumeFromCheckpoint'];
  else if (flags['resume'] === true) args['resumeFromCheckpoint'] = true;
  return args as unknown as TrainingArguments;
}

/**
 * Checks TrainingArguments as the Trainer will, so that a bad value (`--learning-rate -1`,
 * `--num-train-epochs 0`) is a usage error naming the flag before any data is read or trained.
 * @example
 * checkTrainingArguments(trainingArgumentsFrom(flags, { outputDir: 'runs/a' })); // throws UsageError('--learning-rate must be a number > 0, got -1')
 */
export function checkTrainingArguments(args: TrainingArguments): void {
  try {
    resolveArguments(args);
  } catch (error) {
    // resolveArguments names settings as in code ('TrainingArguments.learningRate', 'evalStrategy');
    // the user typed --learning-rate and --eval-strategy.
    const keys = new Set<string>(TRAINING_KEYS.map(([key]) => key));
    const message = (error as Error).message.replace(/^TrainingArguments\./, '')
      .replace(/\b[a-z][A-Za-z]*\b/g, (word) => (keys.has(word) ? `--${kebabCase(word)}` : word));
    throw new UsageError(message);
  }
}

/** Allowed values of a numeric flag; every bound given must hold. */
export interface FlagRange {
  /** The value must be > this. */
  above?: number;
  /** The value must be >= this. */
  atLeast?: number;
  /** The value must be <= this. */
  atMost?: number;
}

/**
 * Checks a numeric flag, if given, against `range`; a value outside is a usage error (exit 2) that
 * names the flag, e.g. "--lr must be > 0, got -1".
 * @example
 * checkFlagRange(flags, 'labelsPerClass', { atLeast: 1 });
 * checkFlagRange(flags, 'threshold', { above: 0, atMost: 1 });
 */
export function checkFlagRange(flags: Record<string, FlagValue>, key: string, range: FlagRange): void {
  const value = flags[key];
  if (typeof value !== 'number') return;
  const wanted: string[] = [];
  let ok = true;
  if (range.above !== undefined) { wanted.push(`> ${range.above}`); ok &&= value > range.above; }
  if (range.atLeast !== undefined) { wanted.push(`>= ${range.atLeast}`); ok &&= value >= range.atLeast; }
  if (range.atMost !== undefined) { wanted.push(`<= ${range.atMost}`); ok &&= value <= range.atMost; }
  if (!ok) throw new UsageError(`--${kebabCase(key)} must be ${wanted.join(' and ')}, got ${value}`);
}

/**
 * A flag's value as a string (or `fallback`).
 * @example
 * stringFlag(flags, 'weights', 'weights/resnet20-fmnist04-supervised.safetensors');
 */
export function stringFlag(flags: Record<string, FlagValue>, key: string, fallback: string): string;
export function stringFlag(flags: Record<string, FlagValue>, key: string): string | undefined;
export function stringFlag(flags: Record<string, FlagValue>, key: string, fallback?: string): string | undefined {
  const value = flags[key];
  return typeof value === 'string' ? value : fallback;
}

/**
 * A flag's value as a number (or `fallback`).
 * @example
 * numberFlag(flags, 'labelsPerClass', 10);
 */
export function numberFlag(flags: Record<string, FlagValue>, key: string, fallback: number): number {
  const value = flags[key];
  return typeof value === 'number' ? value : fallback;
}

/**
 * The --classes list as class indices (default 5-9); throws naming the flag for a bad entry.
 * @example
 * classesFlag({ classes: ['0', '1'] }); // [0, 1]
 */
export function classesFlag(flags: Record<string, FlagValue>, fallback: readonly number[] = [5, 6, 7, 8, 9]): number[] {
  const value = flags['classes'];
  if (!Array.isArray(value)) return [...fallback];
  const classes = value.map(Number);
  if (classes.length < 2 || classes.some((c) => !Number.isInteger(c) || c < 0 || c > 9) || new Set(classes).size !== classes.length) {
    throw new UsageError(`--classes expects at least two distinct Fashion-MNIST classes 0-9 separated by commas, got '${value.join(',')}'`);
  }
  return classes;
}
