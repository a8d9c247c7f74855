/**
 * @graft/finetune: adapt a pretrained model to a new task.
 *
 * @example
 * import { classificationReport } from '@graft/finetune';
 * const report = classificationReport(predictions, labels, 5);
 */
export * from './metrics.js';
export * from './schedules.js';
