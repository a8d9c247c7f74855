/**
 * `graft finetune`: one transfer strategy (scratch, linear probe, fine-tune) on the target task with
 * the Trainer, a progress bar, Ctrl-C checkpoints and --resume; writes metrics.json and model.safetensors.
 */
import { join } from 'node:path';
import { saveTensors, type Device } from '@graft/core';
import { Trainer, classificationReport, confusionMatrix, writeJsonAtomic, type TrainingArguments } from '@graft/finetune';
import { EVAL_TRANSFORM, TRAIN_TRANSFORM, loadTransferData } from '../data.js';
import { DATA_FLAGS, MODEL_FLAGS, TARGET_FLAGS, TRAINING_FLAGS, checkFlagRange, checkTrainingArguments, classesFlag, numberFlag, stringFlag, trainingArgumentsFrom } from '../flags.js';
import { InterruptHook, InterruptedError, mergeCallbacks } from '../interrupt.js';
import { FrozenBatchNorm, buildModel, loadWeights, resolveDevice, type ModelName } from '../model.js';
import { UsageError, type FlagValue, type ParsedCommand } from '../parse.js';
import { Progress } from '../progress.js';
import { percent } from '../report/html.js';
import { timestampedDir } from './quickstart.js';
import { jsonLine, type CliIo, type Command } from './types.js';

type Strategy = 'scratch' | 'linear-probe' | 'fine-tune';

/** Output folder: --output-dir, or a new timestamped one (--resume needs the old one named). */
export function outputDirFor(flags: Record<string, FlagValue>, kind: string): string {
  const dir = stringFlag(flags, 'outputDir');
  if (dir === undefined && (flags['resume'] === true || flags['resumeFromCheckpoint'] !== undefined)) {
    throw new UsageError('--resume needs --output-dir: the run folder that holds the checkpoint', kind);
  }
  return dir ?? timestampedDir(kind);
}

async function prepare(f: Record<string, FlagValue>, strategy: Strategy, seed: number, device: Device) {
  const data = await loadTransferData({
    classes: classesFlag(f), labelsPerClass: numberFlag(f, 'labelsPerClass', 10), seed, full: f['full'] === true, dataDir: stringFlag(f, 'dataDir'),
  });
  const model = buildModel((stringFlag(f, 'model') ?? 'resnet20') as ModelName, data.classNames.length, seed, device);
  const weights = stringFlag(f, 'weights');
  if (strategy !== 'scratch') await loadWeights(model, weights as string, { skipHead: true });
  return { data, model };
}

/** Checks the flags that need no data (a mistake exits 2 before anything is read or trained); returns the device. */
function checkFlags(f: Record<string, FlagValue>, strategy: Strategy): Device {
  const device = resolveDevice(stringFlag(f, 'device'));
  checkFlagRange(f, 'labelsPerClass', { atLeast: 1 });
  const weights = stringFlag(f, 'weights');
  if (strategy !== 'scratch' && !weights) throw new UsageError(`--strategy ${strategy} needs --weights FILE (a pretrained backbone)`, 'finetune');
  // Silently training from a random start while the user believes the weights are used would mislead.
  if (strategy === 'scratch' && weights) throw new UsageError('--strategy scratch starts from a random initialisation and takes no --weights', 'finetune');
  return device;
}

function trainerArgs(f: Record<string, FlagValue>, outputDir: string, seed: number): TrainingArguments {
  return trainingArgumentsFrom(f, {
    outputDir, seed, numTrainEpochs: 30, trainBatchSize: 16, learningRate: 0.02, weightDecay: 5e-4, lrScheduler: 'cosine', warmupRatio: 0.1,
    loggingSteps: 5, trainTransform: TRAIN_TRANSFORM, evalTransform: EVAL_TRANSFORM,
    // A loader worker makes the training loop wait on messages, so the event loop turns and Ctrl-C is seen mid-run.
    dataloaderWorkers: 1,
  });
}

async function run(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const f = parsed.flags;
  const strategy = (stringFlag(f, 'strategy') ?? 'fine-tune') as Strategy;
  const device = checkFlags(f, strategy);
  const outputDir = outputDirFor(f, 'finetune');
  const seed = numberFlag(f, 'seed', 0);
  const args = trainerArgs(f, outputDir, seed);
  checkTrainingArguments(args);
  const { data, model } = await prepare(f, strategy, seed, device);
  const lr = args.learningRate ?? 0.02;
  if (strategy === 'linear-probe') { model.freeze(); model.unfreeze('fc'); }
  // Scratch trains batch norm as usual; the pretrained starts keep the backbone's statistics (see FrozenBatchNorm).
  const trainable = strategy === 'scratch' ? model : new FrozenBatchNorm(model);
  const paramGroups = strategy === 'fine-tune' ? [{ params: model.backboneParameters(), lr: lr / 10 }, { params: model.headParameters(), lr }] : undefined;
  const progress = new Progress({ write: io.stderr, isTTY: io.stderrIsTTY }, strategy, { imagesPerStep: args.trainBatchSize });
  const hook = new InterruptHook(io.stderr).install();
  try {
    const trainer = new Trainer({
      model: trainable, trainData: data.labelled, evalData: args.evalStrategy && args.evalStrategy !== 'no' ? data.test : undefined,
      args, paramGroups, callbacks: mergeCallbacks(progress.callbacks(), hook.callbacks()),
    });
    const result = await trainer.train();
    if (result.stoppedBy === 'interrupt') throw new InterruptedError(outputDir);
    const p = await trainer.predict(data.test);
    const labels = p.labels ?? new Int32Array(0);
    const report = classificationReport(p.predictions, labels, data.classNames.length);
    progress.finish(`test accuracy ${percent(report.accuracy)}`);
    const weightsFile = join(outputDir, 'model.safetensors');
    await saveTensors(weightsFile, model.stateDict(), { format: 'pt', model: stringFlag(f, 'model') ?? 'resnet20', strategy, classes: classesFlag(f).join(',') });
    const summary = {
      strategy, testAccuracy: report.accuracy, macroF1: report.macroF1, steps: result.globalStep, seconds: result.seconds,
      classNames: data.classNames, confusion: confusionMatrix(p.predictions, labels, data.classNames.length), weights: weightsFile, outputDir,
    };
    writeJsonAtomic(join(outputDir, 'metrics.json'), summary);
    io.stdout(parsed.json ? jsonLine(summary) : `${strategy}: test accuracy ${percent(report.accuracy)}, macro-F1 ${report.macroF1.toFixed(3)}, ${result.globalStep} steps, ${result.seconds.toFixed(1)} s\nweights: ${weightsFile}\n`);
    return 0;
  } finally {
    hook.uninstall();
    model.dispose();
  }
}

/** The `finetune` command. */
export const finetuneCommand: Command = {
  spec: {
    name: 'finetune',
    summary: 'Adapt pretrained weights to the target classes with one strategy (Ctrl-C saves a checkpoint; --resume continues).',
    description: 'Trains on K labelled images per target class and scores the target test images. Strategies: scratch (no weights), ' +
      'linear-probe (backbone frozen) and fine-tune (every layer, backbone learning rate a tenth of --learning-rate, batch-norm statistics frozen).',
    flags: [
      { name: 'strategy', type: 'string', choices: ['scratch', 'linear-probe', 'fine-tune'], description: 'Transfer strategy.', defaultText: 'fine-tune' },
      ...MODEL_FLAGS, ...TARGET_FLAGS, ...DATA_FLAGS, ...TRAINING_FLAGS,
    ],
    examples: [
      'graft finetune --weights weights/resnet20-fmnist04-supervised.safetensors --output-dir runs/ft',
      'graft finetune --strategy linear-probe --weights weights/resnet20-fmnist-simclr.safetensors --labels-per-class 20',
      'graft finetune --weights w.safetensors --output-dir runs/ft --resume     # after Ctrl-C',
      'graft finetune --config run.json --json',
    ],
  },
  run,
};
