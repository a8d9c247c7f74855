/**
 * Pre-training: supervised (source classes), SimCLR (contrastive views) and a denoising autoencoder;
 * the backbone is kept, the heads dropped, and saved with a model card.
 * @example
 * import { pretrainSupervised, savePretrained } from '@graft/finetune';
 */
export * from './common.js';
export * from './supervised.js';
export * from './card.js';
export * from './simclr.js';
export * from './denoising.js';
export * from './knn.js';
export * from './fashion-mnist.js';
