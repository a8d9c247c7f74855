/**
 * @graft/finetune: adapt a pretrained model to a new task.
 *
 * @example
 * import { Trainer } from '@graft/finetune';
 * const trainer = new Trainer({ model, args: { outputDir: 'runs/ft', numTrainEpochs: 5 }, trainData, evalData });
 * await trainer.train();
 */
export * from './metrics.js';
export * from './schedules.js';
export * from './args.js';
export * from './trainer.js';
export { writeJsonAtomic } from './files.js';
export * from './pretrain/index.js';
export * from './strategies/index.js';
