/**
 * Argument checks shared by the strategies: each throws an Error naming the function, the option and
 * what was expected, before any training starts.
 */
import type { Dataset } from '@graft/data';

/**
 * Throws unless `value` is an integer >= `min`.
 * @example
 * checkInteger('fineTune', 'epochs', 10, 1);
 */
export function checkInteger(fn: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${fn}: options.${name} must be an integer >= ${min}, got ${value}`);
}

/**
 * Throws unless `value` is a finite number > 0.
 * @example
 * checkPositive('fineTune', 'lr', 0.01);
 */
export function checkPositive(fn: string, name: string, value: number): void {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) throw new Error(`${fn}: options.${name} must be a number > 0, got ${value}`);
}

/**
 * Throws unless `value` is a finite number >= 0.
 * @example
 * checkNonNegative('fineTune', 'weightDecay', 0);
 */
export function checkNonNegative(fn: string, name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) throw new Error(`${fn}: options.${name} must be a number >= 0, got ${value}`);
}

/**
 * Throws unless every label of `data` is a class the head predicts (0..classes-1).
 * @example
 * checkHeadFits('linearProbe', model.head.outFeatures, trainData);
 */
export function checkHeadFits(fn: string, classes: number, data: Dataset): void {
  let maxLabel = -1;
  for (let i = 0; i < data.length; i++) maxLabel = Math.max(maxLabel, data.label(i));
  if (maxLabel >= classes) {
    throw new Error(`${fn}: the head predicts ${classes} classes but the labels go up to ${maxLabel}; pass options.numClasses (${maxLabel + 1}) to replace the head, or remap the labels`);
  }
}
