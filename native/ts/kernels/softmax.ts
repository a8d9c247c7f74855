// Filled in with the softmax kernels.
export {};
