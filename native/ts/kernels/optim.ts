// Filled in with the optim kernels.
export {};
