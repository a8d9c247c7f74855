// Filled in with the loss kernels.
export {};
