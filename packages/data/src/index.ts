/**
 * @graft/data: datasets, splits, transforms and a threaded loader.
 */
export {};
