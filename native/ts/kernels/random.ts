// Filled in with the random kernels.
export {};
