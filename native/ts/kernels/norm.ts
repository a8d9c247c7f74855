// Filled in with the norm kernels.
export {};
