/**
 * @graft/native: Graft's C++ (AVX2+FMA, threads) and CUDA kernels with typed TypeScript bindings.
 *
 * Every kernel takes Float32Array (or Int32Array) views and writes its output in place; shapes are
 * validated natively and a bad argument throws an Error naming the op, the argument and the sizes.
 * Each kernel also has a naive reference (`impl = 'ref'`) that the tests compare it with.
 *
 * @example
 * import { gemm, capabilities } from '@graft/native';
 * console.log(capabilities().isa);
 */
export { loadAddon, addonPath, addonCandidates, type Impl } from './addon.js';
export * from './runtime.js';
export { takeBuffer, recycleBuffer, emptyBufferCache, setBufferCacheLimit, BUFFER_CACHE_MIN_BYTES } from './buffer_cache.js';
export * from './kernels/gemm.js';
export * from './kernels/conv2d.js';
export * from './kernels/pool.js';
export * from './kernels/elementwise.js';
export * from './kernels/reduce.js';
export * from './kernels/softmax.js';
export * from './kernels/loss.js';
export * from './kernels/indexing.js';
export * from './kernels/norm.js';
export * from './kernels/random.js';
export * from './kernels/optim.js';
export * from './kernels/lerp.js';
export * from './cuda.js';
