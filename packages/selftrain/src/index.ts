/**
 * @graft/selftrain: self-training on an unlabelled pool. Pseudo-label rounds with a noised student
 * (SelfTrainer), FixMatch-style consistency training (fixMatch) and knowledge distillation (distill),
 * sharing one streaming predictor and one pseudo-label selector.
 *
 * @example
 * import { SelfTrainer, viewTransforms } from '@graft/selftrain';
 * const st = new SelfTrainer({ model, createStudent, labelled, pool, test, transforms: viewTransforms() });
 * const { rounds, model: best } = await st.run();
 */
export * from './predict.js';
export * from './select.js';
export * from './train.js';
export * from './evaluate.js';
export * from './transforms.js';
export * from './self-trainer.js';
export * from './fixmatch.js';
export * from './distill.js';
