// Filled in with the indexing kernels.
export {};
