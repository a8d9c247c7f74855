/**
 * @graft/core: tensors, autograd, nn layers, optimizers, models, safetensors and checkpoints.
 */
export {};
