/**
 * Negative-transfer check: fine-tune the pretrained model, train the same architecture from scratch
 * on the same labels, score both on the same evaluation data, and warn (with both scores) when the
 * pretrained start does worse. Transfer is measured, not assumed.
 */
import type { Classifier } from '@graft/core';
import type { Metrics } from '../trainer.js';
import { checkNonNegative } from './checks.js';
import { checkFineTuneOptions, fineTune, trainFromScratch, type FineTuneOptions, type FineTuneResult, type ScratchOptions } from './fine-tune.js';
import type { TransferData } from './data.js';

/** Options of {@link fineTuneWithBaseline}. */
export interface BaselineOptions {
  /** A fresh, randomly initialised model of the same architecture and head size (moved to the fine-tuned model's device). */
  createModel: () => Classifier;
  /** Metric compared (default 'accuracy'). */
  metric?: 'accuracy' | 'macroF1';
  /** The pretrained start counts as worse only when it trails scratch by more than this (default 0). */
  tolerance?: number;
  /** Scratch settings; default: fineTune's epochs, batch size, transform, augmentation and seed. */
  scratch?: ScratchOptions;
  /** Called with the message when transfer is negative (default console.warn). */
  warn?: (message: string) => void;
}

/** The outcome of the comparison. */
export interface TransferCheck {
  negativeTransfer: boolean;
  metric: 'accuracy' | 'macroF1';
  pretrained: number;
  scratch: number;
  /** pretrained - scratch. */
  margin: number;
  message: string;
}

/**
 * Compares a pretrained model's score with the scratch baseline's.
 * @example
 * assessTransfer('accuracy', 0.71, 0.74).negativeTransfer; // true
 */
export function assessTransfer(metric: 'accuracy' | 'macroF1', pretrained: number, scratch: number, tolerance = 0): TransferCheck {
  if (metric !== 'accuracy' && metric !== 'macroF1') throw new Error(`assessTransfer: metric must be 'accuracy' or 'macroF1', got ${JSON.stringify(metric)}`);
  for (const [name, v] of [['pretrained', pretrained], ['scratch', scratch]] as const) {
    if (!Number.isFinite(v)) throw new Error(`assessTransfer: ${name} must be a finite score, got ${v}`);
  }
  checkNonNegative('assessTransfer', 'tolerance', tolerance);
  const margin = pretrained - scratch;
  const negativeTransfer = margin < -tolerance;
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  const message = negativeTransfer
    ? `negative transfer: the pretrained start scores ${metric} ${pct(pretrained)}, training from scratch on the same labels ${pct(scratch)} (${pct(margin)}); check that source and target match, or train from scratch`
    : `transfer helps: the pretrained start scores ${metric} ${pct(pretrained)}, training from scratch ${pct(scratch)} (+${pct(margin)})`;
  return { negativeTransfer, metric, pretrained, scratch, margin, message };
}

/**
 * {@link fineTune}, plus a scratch baseline on the same labels scored on the same evalData (required),
 * and the comparison; warns when the pretrained start is worse.
 * @example
 * const { check } = await fineTuneWithBaseline(model, split.labelled, { numClasses: 5, transform: plain, evalData: test },
 *   { createModel: () => resnet20({ inChannels: 1, numClasses: 5 }) });
 * if (check.negativeTransfer) console.log(check.message);
 */
export async function fineTuneWithBaseline<M extends Classifier>(
  model: M, data: TransferData, options: FineTuneOptions, baseline: BaselineOptions,
): Promise<FineTuneResult<M> & { baseline: FineTuneResult; check: TransferCheck }> {
  if (options.evalData === undefined) throw new Error('fineTuneWithBaseline: options.evalData is required (both models are scored on it)');
  if (typeof baseline?.createModel !== 'function') throw new Error('fineTuneWithBaseline: baseline.createModel must be a function returning a fresh model');
  const metric = baseline.metric ?? 'accuracy';
  if (metric !== 'accuracy' && metric !== 'macroF1') throw new Error(`fineTuneWithBaseline: baseline.metric must be 'accuracy' or 'macroF1', got ${JSON.stringify(metric)}`);
  checkNonNegative('fineTuneWithBaseline', 'tolerance', baseline.tolerance ?? 0);
  const shared: ScratchOptions = {
    epochs: options.epochs, batchSize: options.batchSize, transform: options.transform, augment: options.augment, seed: options.seed,
    evalData: options.evalData, evaluate: options.evaluate, numClasses: options.numClasses,
  };
  checkFineTuneOptions(options);
  checkFineTuneOptions({ ...shared, ...baseline.scratch }, true);
  // The baseline trains where the pretrained model does, whatever device createModel built it on.
  const scratchModel = baseline.createModel().to(model.device);
  const tuned = await fineTune(model, data, options);
  const scratch = await trainFromScratch(scratchModel, data, { ...shared, ...baseline.scratch });
  const check = assessTransfer(metric, score(tuned.metrics, metric), score(scratch.metrics, metric), baseline.tolerance ?? 0);
  if (check.negativeTransfer) (baseline.warn ?? console.warn)(check.message);
  return { ...tuned, baseline: scratch, check };
}

function score(metrics: Metrics | undefined, metric: string): number {
  const v = metrics?.[metric];
  if (v === undefined) throw new Error(`fineTuneWithBaseline: no '${metric}' among the evaluation metrics`);
  return v;
}
