// Filled in with the conv2d kernels.
export {};
