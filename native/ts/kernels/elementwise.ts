// Filled in with the elementwise kernels.
export {};
