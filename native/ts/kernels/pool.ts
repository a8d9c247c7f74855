// Filled in with the pool kernels.
export {};
