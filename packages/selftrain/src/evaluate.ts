/**
 * Evaluation of a classifier on labelled data, streamed through {@link predictLogits}.
 */
import type { Dataset, Transform } from '@graft/data';
import { argmaxRows, classificationReport, type ClassifierModule } from '@graft/finetune';
import { predictLogits } from './predict.js';

/** Accuracy, macro-F1 and mean cross-entropy of a model on a labelled dataset. */
export interface EvalResult {
  accuracy: number;
  macroF1: number;
  loss: number;
  n: number;
}

/**
 * Evaluates `model` on `data` in eval mode, without augmentation.
 * @example
 * const { accuracy, macroF1 } = await evaluateModel(model, test, { transform: evalTransform });
 */
export async function evaluateModel(model: ClassifierModule, data: Dataset, options: { transform?: Transform; batchSize?: number } = {}): Promise<EvalResult> {
  if (data.length === 0) throw new Error('evaluateModel: data is empty (expected a labelled dataset with at least one item)');
  const { logits, n, classes } = await predictLogits(model, data, options);
  const labels = Int32Array.from({ length: n }, (_, i) => data.label(i));
  const bad = labels.findIndex((l) => !(l >= 0 && l < classes));
  if (bad >= 0) throw new Error(`evaluateModel: item ${bad} has label ${labels[bad]} but the model predicts ${classes} classes`);
  const predictions = argmaxRows(logits, n, classes);
  const report = classificationReport(predictions, labels, classes);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (const z of row) sum += Math.exp(z - max);
    loss += max + Math.log(sum) - (row[labels[i] as number] as number);
  }
  return { accuracy: report.accuracy, macroF1: report.macroF1, loss: loss / n, n };
}
