// Filled in with the reduce kernels.
export {};
