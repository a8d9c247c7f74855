/**
 * Transfer strategies: head replacement, linear probe on cached features, full / partial / gradual
 * fine-tuning with discriminative learning rates, LP-FT, batch-norm policies, a learning-rate finder
 * and a negative-transfer check.
 */
export * from './data.js';
export { evenBatchSize, type EvalAt } from './phase.js';
export * from './layers.js';
export * from './features.js';
export * from './linear-probe.js';
export * from './fine-tune.js';
export * from './lr-finder.js';
export * from './negative-transfer.js';
