/**
 * CUDA backend: device buffers, copies, the caching allocator's statistics and the CUDA kernels.
 *
 * Every function here throws a clear Error when the addon was built without CUDA
 * (`"<op>: Graft was built without CUDA ..."`) or when the machine has no usable GPU
 * (`"<op>: no CUDA device: <reason>"`); check {@link cudaAvailable} first to choose a device.
 * Kernels queue work on the device's one stream and return at once; {@link cudaDownload} and
 * {@link cudaSynchronize} wait for it.
 */
import { loadAddon, kernel } from './addon.js';
import type { BinaryOp, UnaryOp, UnaryParams } from './kernels/elementwise.js';
import type { AdamStepArgs, SgdStepArgs } from './kernels/optim.js';
import type { ArgReduceOp, ReduceOp } from './kernels/reduce.js';
import type { CrossEntropyArgs, Reduction } from './kernels/loss.js';
import type {
  Conv2dBackwardDataArgs, Conv2dBackwardWeightArgs, Conv2dForwardArgs, Conv2dShape, Size2d,
} from './kernels/conv2d.js';
import type {
  BatchNormBackwardArgs, BatchNormBackwardEvalArgs, BatchNormEvalArgs, BatchNormTrainArgs, LayerNormArgs,
  LayerNormBackwardArgs,
} from './kernels/norm.js';

/** A block of device memory made by {@link cudaAlloc}. Opaque: read it back with {@link cudaDownload}. */
export interface DeviceBuffer {
  /** Bytes requested (the allocator may hold a larger size class). */
  readonly bytes: number;
  /** The CUDA device index it lives on. */
  readonly device: number;
  /** True once {@link DeviceBuffer.dispose} ran. */
  readonly disposed: boolean;
  /** Gives the memory back to the allocator's cache now; disposing twice is harmless. */
  dispose(): void;
}

/** The caching device allocator's counters (all devices together). */
export interface CudaMemoryStats {
  /** Bytes handed out now, rounded up to size classes. */
  liveBytes: number;
  /** Most live bytes at once since load. */
  peakBytes: number;
  /** Bytes freed and kept for reuse; {@link cudaEmptyCache} returns them to the driver. */
  cachedBytes: number;
  /** Buffers alive now. */
  liveBlocks: number;
  /** cudaMalloc calls so far (cache misses). */
  deviceAllocations: number;
  /** Allocations served from the cache. */
  cacheHits: number;
}

/**
 * A byte range of a device buffer: what a tensor at an offset into its storage passes to a kernel.
 * Kernels treat it as a buffer of `byteLength` bytes starting `byteOffset` bytes into `buffer`.
 * @example
 * const second: DeviceSlice = { buffer: x, byteOffset: 4 * 256, byteLength: 4 * 256 }; // floats 256..511
 */
export interface DeviceSlice {
  readonly buffer: DeviceBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

/**
 * What every kernel accepts: a whole device buffer or a slice of one.
 * @example
 * const ref: DeviceRef = cudaAlloc(16);
 */
export type DeviceRef = DeviceBuffer | DeviceSlice;

type DeviceBufferConstructor = new (bytes: number, device: number) => DeviceBuffer;

/**
 * Whether CUDA kernels can run here: the backend is compiled in and a GPU is present.
 * @example
 * const device = cudaAvailable() ? 'cuda' : 'cpu';
 */
export function cudaAvailable(): boolean {
  const caps = kernel<() => { cudaDevices: unknown[] }>('capabilities')();
  return caps.cudaDevices.length > 0;
}

/**
 * Allocates `bytes` of device memory on `device` (default 0), from the allocator's cache when it can.
 * @throws Error "cudaAlloc: no CUDA device: ..." or "cudaAlloc: Graft was built without CUDA ...".
 * @example
 * const x = cudaAlloc(4 * 1024); // room for 1024 floats
 * x.dispose();
 */
export function cudaAlloc(bytes: number, device = 0): DeviceBuffer {
  const Ctor = loadAddon()['CudaDeviceBuffer'] as unknown as DeviceBufferConstructor | undefined;
  if (typeof Ctor !== 'function') throw new Error('cudaAlloc: the addon has no CudaDeviceBuffer class');
  return new Ctor(bytes, device);
}

/**
 * Copies `data` (float32 values, or int32 such as class targets) into the start of `buffer`; returns when `data` may be changed again.
 * @example
 * const x = cudaAlloc(12); cudaUpload(x, Float32Array.from([1, 2, 3]));
 */
export function cudaUpload(buffer: DeviceRef, data: Float32Array | Int32Array): void {
  kernel<(buffer: DeviceRef, data: Float32Array | Int32Array) => void>('cudaUpload')(buffer, data);
}

/**
 * Copies the first `out.length` 4-byte elements of `buffer` into `out` (an Int32Array for the indices
 * {@link cudaArgReduce} writes), after all queued work on its device.
 * @example
 * const out = new Float32Array(3); cudaDownload(x, out);
 */
export function cudaDownload(buffer: DeviceRef, out: Float32Array | Int32Array): void {
  kernel<(buffer: DeviceRef, out: Float32Array | Int32Array) => void>('cudaDownload')(buffer, out);
}

/**
 * Allocates a buffer holding a copy of `data`.
 * @example
 * const x = cudaFromArray(Float32Array.from([1, 2, 3]));
 */
export function cudaFromArray(data: Float32Array, device = 0): DeviceBuffer {
  const buffer = cudaAlloc(data.length * 4, device);
  try {
    cudaUpload(buffer, data);
  } catch (error) {
    buffer.dispose();
    throw error;
  }
  return buffer;
}

/**
 * Reads a whole buffer back as a new Float32Array.
 * @example
 * const values = cudaToArray(x);
 */
export function cudaToArray(buffer: DeviceBuffer): Float32Array {
  const out = new Float32Array(Math.floor(buffer.bytes / 4));
  cudaDownload(buffer, out);
  return out;
}

/**
 * The caching allocator's counters.
 * @example
 * const { liveBytes, cachedBytes } = cudaMemoryStats();
 */
export function cudaMemoryStats(): CudaMemoryStats {
  return kernel<() => CudaMemoryStats>('cudaMemoryStats')();
}

/**
 * Returns every cached (freed) block to the driver. Live buffers are untouched.
 * @example
 * cudaEmptyCache();
 */
export function cudaEmptyCache(): void {
  kernel<() => void>('cudaEmptyCache')();
}

/**
 * Waits for all queued work on `device` (every device when omitted) and reports a kernel's
 * asynchronous failure as an Error.
 * @example
 * cudaSynchronize();
 */
export function cudaSynchronize(device?: number): void {
  kernel<(device?: number) => void>('cudaSynchronize')(device);
}

/** How {@link cudaGemm} multiplies: float32 FMA, or tensor cores with TF32 / BF16 inputs (float32 accumulation). */
export type CudaPrecision = 'float32' | 'tf32' | 'bf16';

/** Arguments of {@link cudaGemm}: those of `gemm` over device buffers. */
export interface CudaGemmArgs {
  /** op(A) = Aᵀ: A is stored (K, M). */
  transA?: boolean;
  /** op(B) = Bᵀ: B is stored (N, K). */
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
  a: DeviceRef;
  b: DeviceRef;
  c: DeviceRef;
  lda?: number;
  ldb?: number;
  ldc?: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Default 'float32'. 'tf32' and 'bf16' need compute capability 8.0 or newer. */
  precision?: CudaPrecision;
}

type RawCudaGemm = (
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: DeviceRef, lda: number, strideA: number, b: DeviceRef, ldb: number, strideB: number,
  beta: number, c: DeviceRef, ldc: number, strideC: number, batch: number, precision: CudaPrecision,
) => void;

/**
 * `C = alpha * op(A) * op(B) + beta * C` on the GPU, row-major float32, strided batches; queued, not awaited.
 * @example
 * const a = cudaFromArray(Float32Array.from([1, 2, 3, 4])), b = cudaFromArray(Float32Array.from([1, 0, 0, 1]));
 * const c = cudaAlloc(16);
 * cudaGemm({ m: 2, n: 2, k: 2, a, b, c, precision: 'tf32' });
 */
export function cudaGemm(args: CudaGemmArgs): void {
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const { m, n, k } = args;
  kernel<RawCudaGemm>('cudaGemm')(
    transA, transB, m, n, k, args.alpha ?? 1, args.a, args.lda ?? (transA ? m : k), args.strideA ?? m * k,
    args.b, args.ldb ?? (transB ? k : n), args.strideB ?? k * n, args.beta ?? 0, args.c, args.ldc ?? n,
    args.strideC ?? m * n, args.batch ?? 1, args.precision ?? 'float32',
  );
}

function unaryParamList(op: UnaryOp, p: UnaryParams = {}): [number, number, number, number, number] {
  const alpha = p.alpha ?? (op === 'leakyRelu' ? 0.01 : 1);
  return [alpha, p.beta ?? 0, p.min ?? -Infinity, p.max ?? Infinity, p.exponent ?? 1];
}

/**
 * `y = op(x)` over the first `x.bytes / 4` floats on the GPU, as `unary` does on the CPU; `y` may be `x`.
 * @example
 * const x = cudaFromArray(Float32Array.from([-1, 2]));
 * cudaUnary('relu', x, x); // x = [0, 2]
 */
export function cudaUnary(op: UnaryOp, x: DeviceRef, y: DeviceRef, params?: UnaryParams): void {
  type Raw = (op: UnaryOp, x: DeviceRef, y: DeviceRef, alpha: number, beta: number, min: number, max: number,
    exponent: number) => void;
  kernel<Raw>('cudaUnary')(op, x, y, ...unaryParamList(op, params));
}

/**
 * `dx = dy * op'(x)` on the GPU, given the forward input `x` and output `y`, as `unaryBackward`.
 * @example
 * cudaUnaryBackward('tanh', x, y, dy, dx);
 */
export function cudaUnaryBackward(
  op: UnaryOp, x: DeviceRef, y: DeviceRef, dy: DeviceRef, dx: DeviceRef, params?: UnaryParams,
): void {
  type Raw = (op: UnaryOp, x: DeviceRef, y: DeviceRef, dy: DeviceRef, dx: DeviceRef, alpha: number,
    beta: number, min: number, max: number, exponent: number) => void;
  kernel<Raw>('cudaUnaryBackward')(op, x, y, dy, dx, ...unaryParamList(op, params));
}

/**
 * `out = op(a, b)` on the GPU with broadcasting through strides, as `binary`: `a` and `b` are views of
 * `outShape` (element offset and per-dim strides, 0 to broadcast, negative allowed); `out` is contiguous.
 * @example
 * // x (2, 3) + bias (3)
 * cudaBinary('add', [2, 3], x, 0, [3, 1], bias, 0, [0, 1], out);
 */
export function cudaBinary(
  op: BinaryOp, outShape: readonly number[], a: DeviceRef, aOffset: number, aStrides: readonly number[],
  b: DeviceRef, bOffset: number, bStrides: readonly number[], out: DeviceRef,
): void {
  type Raw = (op: BinaryOp, shape: readonly number[], a: DeviceRef, aOffset: number, aStrides: readonly number[],
    b: DeviceRef, bOffset: number, bStrides: readonly number[], out: DeviceRef) => void;
  kernel<Raw>('cudaBinary')(op, outShape, a, aOffset, aStrides, b, bOffset, bStrides, out);
}

/** Arguments of {@link cudaSgdStep}: those of `sgdStep` with device buffers holding equal float counts. */
export type CudaSgdStepArgs = Omit<SgdStepArgs, 'param' | 'grad' | 'momentumBuffer'> & {
  param: DeviceRef;
  grad: DeviceRef;
  momentumBuffer?: DeviceRef;
};

/**
 * One fused SGD step on the GPU, with `sgdStep`'s formula and float32 operation order.
 * @example
 * cudaSgdStep({ param, grad, momentumBuffer, lr: 0.1, momentum: 0.9, firstStep: true });
 */
export function cudaSgdStep(args: CudaSgdStepArgs): void {
  type Raw = (param: DeviceRef, grad: DeviceRef, momentumBuffer: DeviceRef | undefined, lr: number,
    momentum: number, dampening: number, weightDecay: number, nesterov: boolean, maximize: boolean, firstStep: boolean) => void;
  kernel<Raw>('cudaSgdStep')(
    args.param, args.grad, args.momentumBuffer, args.lr, args.momentum ?? 0, args.dampening ?? 0,
    args.weightDecay ?? 0, args.nesterov ?? false, args.maximize ?? false, args.firstStep,
  );
}

/** Arguments of {@link cudaAdamStep}: those of `adamStep` with device buffers holding equal float counts. */
export type CudaAdamStepArgs = Omit<AdamStepArgs, 'param' | 'grad' | 'expAvg' | 'expAvgSq' | 'maxExpAvgSq'> & {
  param: DeviceRef;
  grad: DeviceRef;
  expAvg: DeviceRef;
  expAvgSq: DeviceRef;
  maxExpAvgSq?: DeviceRef;
};

/**
 * One fused Adam / AdamW step on the GPU, with `adamStep`'s formula and float32 operation order.
 * @example
 * cudaAdamStep({ param, grad, expAvg, expAvgSq, step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
 */
export function cudaAdamStep(args: CudaAdamStepArgs): void {
  type Raw = (param: DeviceRef, grad: DeviceRef, expAvg: DeviceRef, expAvgSq: DeviceRef,
    maxExpAvgSq: DeviceRef | undefined, step: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupledWeightDecay: boolean, amsgrad: boolean, maximize: boolean) => void;
  kernel<Raw>('cudaAdamStep')(
    args.param, args.grad, args.expAvg, args.expAvgSq, args.maxExpAvgSq, args.step, args.lr, args.beta1, args.beta2,
    args.eps, args.weightDecay ?? 0, args.decoupledWeightDecay ?? false, args.amsgrad ?? false, args.maximize ?? false,
  );
}

/**
 * Clips device gradients in place by their total norm, as `clipGradNorm`; the norm is reduced on the
 * GPU in a fixed order and read back (this waits for the device). Returns the norm before clipping.
 * @example
 * const total = cudaClipGradNorm([gradW, gradB], 1.0);
 */
export function cudaClipGradNorm(grads: DeviceRef[], maxNorm: number, normType = 2): number {
  return kernel<(grads: DeviceRef[], maxNorm: number, normType: number) => number>('cudaClipGradNorm')(
    grads, maxNorm, normType,
  );
}

/**
 * Fills `out` with uniform numbers in [low, high): the numbers `randomUniform` gives for the same seed and offset.
 * @example
 * cudaRandomUniform(x, 42, 0, -1, 1);
 */
export function cudaRandomUniform(out: DeviceRef, seed: number, offset: number, low = 0, high = 1): void {
  type Raw = (out: DeviceRef, seed: number, offset: number, low: number, high: number) => void;
  kernel<Raw>('cudaRandomUniform')(out, seed, offset, low, high);
}

/**
 * Fills `out` with normal numbers: those of `randomNormal` for the same seed and offset (to the last float bit).
 * @example
 * cudaRandomNormal(w, 7, 0, 0, 0.02);
 */
export function cudaRandomNormal(out: DeviceRef, seed: number, offset: number, mean = 0, std = 1): void {
  type Raw = (out: DeviceRef, seed: number, offset: number, mean: number, std: number) => void;
  kernel<Raw>('cudaRandomNormal')(out, seed, offset, mean, std);
}

/**
 * Fills `out` with 1 (probability p) or 0: the values of `randomBernoulli` for the same seed and offset.
 * @example
 * cudaRandomBernoulli(mask, 0.9, 42, 0);
 */
export function cudaRandomBernoulli(out: DeviceRef, p: number, seed: number, offset: number): void {
  kernel<(out: DeviceRef, p: number, seed: number, offset: number) => void>('cudaRandomBernoulli')(out, p, seed, offset);
}

/**
 * Reduces the middle dim of a contiguous (outer, r, inner) view into `y` (outer, inner) on the GPU, as
 * `reduce`: sums and products in double; each output's order is fixed by the shape (reproducible).
 * @example
 * cudaReduce('sum', x, 4, 10, 1, y); // row sums of a 4x10 matrix
 */
export function cudaReduce(op: ReduceOp, x: DeviceRef, outer: number, r: number, inner: number, y: DeviceRef): void {
  type Raw = (op: ReduceOp, x: DeviceRef, outer: number, r: number, inner: number, y: DeviceRef) => void;
  kernel<Raw>('cudaReduce')(op, x, outer, r, inner, y);
}

/**
 * First index of the max (min) along the middle dim, as `argReduce`; `y` receives int32 indices:
 * read them with an Int32Array.
 * @example
 * cudaArgReduce('argmax', logits, n, classes, 1, predictions);
 * const labels = new Int32Array(n); cudaDownload(predictions, labels);
 */
export function cudaArgReduce(op: ArgReduceOp, x: DeviceRef, outer: number, r: number, inner: number, y: DeviceRef): void {
  type Raw = (op: ArgReduceOp, x: DeviceRef, outer: number, r: number, inner: number, y: DeviceRef) => void;
  kernel<Raw>('cudaArgReduce')(op, x, outer, r, inner, y);
}

type RawSoftmax = (x: DeviceRef, outer: number, d: number, inner: number, y: DeviceRef) => void;
type RawSoftmaxBackward = (y: DeviceRef, dy: DeviceRef, outer: number, d: number, inner: number, dx: DeviceRef) => void;

/**
 * Softmax along the middle dim of a contiguous (outer, d, inner) view on the GPU, as `softmax`.
 * @example
 * cudaSoftmax(logits, n, classes, 1, probs);
 */
export function cudaSoftmax(x: DeviceRef, outer: number, d: number, inner: number, y: DeviceRef): void {
  kernel<RawSoftmax>('cudaSoftmax')(x, outer, d, inner, y);
}

/**
 * Log-softmax along the middle dim on the GPU, as `logSoftmax`.
 * @example
 * cudaLogSoftmax(logits, n, classes, 1, logp);
 */
export function cudaLogSoftmax(x: DeviceRef, outer: number, d: number, inner: number, y: DeviceRef): void {
  kernel<RawSoftmax>('cudaLogSoftmax')(x, outer, d, inner, y);
}

/**
 * Softmax backward from the forward output: `dx = y * (dy - sum(dy * y))`.
 * @example
 * cudaSoftmaxBackward(probs, dprobs, n, classes, 1, dlogits);
 */
export function cudaSoftmaxBackward(y: DeviceRef, dy: DeviceRef, outer: number, d: number, inner: number, dx: DeviceRef): void {
  kernel<RawSoftmaxBackward>('cudaSoftmaxBackward')(y, dy, outer, d, inner, dx);
}

/**
 * Log-softmax backward from the forward output: `dx = dy - exp(y) * sum(dy)`.
 * @example
 * cudaLogSoftmaxBackward(logp, dlogp, n, classes, 1, dlogits);
 */
export function cudaLogSoftmaxBackward(y: DeviceRef, dy: DeviceRef, outer: number, d: number, inner: number, dx: DeviceRef): void {
  kernel<RawSoftmaxBackward>('cudaLogSoftmaxBackward')(y, dy, outer, d, inner, dx);
}

/**
 * A CPU kernel's argument object with every Float32Array (and Int32Array) replaced by a device buffer.
 * @example
 * const args: OnDevice<BatchNormEvalArgs> = { x, n, c, hw, runningMean, runningVar, eps: 1e-5, y };
 */
export type OnDevice<T> = {
  [K in keyof T]: T[K] extends Float32Array | Int32Array
    ? DeviceRef
    : T[K] extends Float32Array | Int32Array | undefined ? DeviceRef | undefined : T[K];
};

/**
 * Batch norm training forward on the GPU, as `batchNormTrain`: batch statistics per channel of x (N,C,HW)
 * in double, saved mean and 1/std, running statistics updated in place.
 * @example
 * cudaBatchNormTrain({ x, n: 8, c: 16, hw: 784, gamma, beta, runningMean, runningVar, momentum: 0.1, eps: 1e-5, y, saveMean, saveInvStd });
 */
export function cudaBatchNormTrain(args: OnDevice<BatchNormTrainArgs>): void {
  type Raw = (x: DeviceRef, n: number, c: number, hw: number, gamma: DeviceRef | undefined, beta: DeviceRef | undefined,
    runningMean: DeviceRef | undefined, runningVar: DeviceRef | undefined, momentum: number, eps: number, y: DeviceRef,
    saveMean: DeviceRef, saveInvStd: DeviceRef) => void;
  kernel<Raw>('cudaBatchNormTrain')(
    args.x, args.n, args.c, args.hw, args.gamma, args.beta, args.runningMean, args.runningVar, args.momentum,
    args.eps, args.y, args.saveMean, args.saveInvStd,
  );
}

/**
 * Batch norm inference forward with the running statistics, as `batchNormEval`.
 * @example
 * cudaBatchNormEval({ x, n, c, hw, gamma, beta, runningMean, runningVar, eps: 1e-5, y });
 */
export function cudaBatchNormEval(args: OnDevice<BatchNormEvalArgs>): void {
  type Raw = (x: DeviceRef, n: number, c: number, hw: number, gamma: DeviceRef | undefined, beta: DeviceRef | undefined,
    runningMean: DeviceRef, runningVar: DeviceRef, eps: number, y: DeviceRef) => void;
  kernel<Raw>('cudaBatchNormEval')(
    args.x, args.n, args.c, args.hw, args.gamma, args.beta, args.runningMean, args.runningVar, args.eps, args.y,
  );
}

/**
 * Batch norm training backward, as `batchNormBackward`: any of dx, dgamma, dbeta may be left out.
 * @example
 * cudaBatchNormBackward({ x, dy, n, c, hw, gamma, saveMean, saveInvStd, dx, dgamma, dbeta });
 */
export function cudaBatchNormBackward(args: OnDevice<BatchNormBackwardArgs>): void {
  type Raw = (x: DeviceRef, dy: DeviceRef, n: number, c: number, hw: number, gamma: DeviceRef | undefined,
    saveMean: DeviceRef, saveInvStd: DeviceRef, dx: DeviceRef | undefined, dgamma: DeviceRef | undefined,
    dbeta: DeviceRef | undefined) => void;
  kernel<Raw>('cudaBatchNormBackward')(
    args.x, args.dy, args.n, args.c, args.hw, args.gamma, args.saveMean, args.saveInvStd, args.dx, args.dgamma, args.dbeta,
  );
}

/**
 * Batch norm backward with frozen statistics (eval mode), as `batchNormBackwardEval`; dgamma needs x and runningMean.
 * @example
 * cudaBatchNormBackwardEval({ dy, n, c, hw, gamma, runningVar, eps: 1e-5, dx });
 */
export function cudaBatchNormBackwardEval(args: OnDevice<BatchNormBackwardEvalArgs>): void {
  type Raw = (dy: DeviceRef, n: number, c: number, hw: number, gamma: DeviceRef | undefined, runningVar: DeviceRef,
    eps: number, dx: DeviceRef | undefined, dgamma: DeviceRef | undefined, dbeta: DeviceRef | undefined,
    x: DeviceRef | undefined, runningMean: DeviceRef | undefined) => void;
  kernel<Raw>('cudaBatchNormBackwardEval')(
    args.dy, args.n, args.c, args.hw, args.gamma, args.runningVar, args.eps, args.dx, args.dgamma, args.dbeta, args.x,
    args.runningMean,
  );
}

/**
 * Layer norm forward on the GPU over the last D values of each row, as `layerNorm` (double statistics).
 * @example
 * cudaLayerNorm({ x, rows: 32, d: 256, gamma, beta, eps: 1e-5, y, saveMean, saveInvStd });
 */
export function cudaLayerNorm(args: OnDevice<LayerNormArgs>): void {
  type Raw = (x: DeviceRef, rows: number, d: number, gamma: DeviceRef | undefined, beta: DeviceRef | undefined,
    eps: number, y: DeviceRef, saveMean: DeviceRef, saveInvStd: DeviceRef) => void;
  kernel<Raw>('cudaLayerNorm')(args.x, args.rows, args.d, args.gamma, args.beta, args.eps, args.y, args.saveMean, args.saveInvStd);
}

/**
 * Layer norm backward on the GPU, as `layerNormBackward`: dx, and dgamma/dbeta summed over rows in row order.
 * @example
 * cudaLayerNormBackward({ x, dy, rows, d, gamma, saveMean, saveInvStd, dx, dgamma, dbeta });
 */
export function cudaLayerNormBackward(args: OnDevice<LayerNormBackwardArgs>): void {
  type Raw = (x: DeviceRef, dy: DeviceRef, rows: number, d: number, gamma: DeviceRef | undefined,
    saveMean: DeviceRef, saveInvStd: DeviceRef, dx: DeviceRef | undefined, dgamma: DeviceRef | undefined,
    dbeta: DeviceRef | undefined) => void;
  kernel<Raw>('cudaLayerNormBackward')(
    args.x, args.dy, args.rows, args.d, args.gamma, args.saveMean, args.saveInvStd, args.dx, args.dgamma, args.dbeta,
  );
}

/**
 * Cross-entropy on the GPU, as `crossEntropy`: hard targets (a buffer of int32 class indices) or soft
 * targets, class weights, label smoothing, ignoreIndex and reduction; `dlogits` receives the gradient of
 * the reduced loss. Targets are not checked on the host: one outside [0, c) that is not ignoreIndex makes
 * its row's loss and gradient NaN.
 * @example
 * const targets = cudaAlloc(4 * n); cudaUpload(targets, labels); // labels: Int32Array
 * cudaCrossEntropy({ logits, n, c: 10, targets, losses, dlogits });
 */
export function cudaCrossEntropy(args: OnDevice<CrossEntropyArgs>): void {
  type Raw = (logits: DeviceRef, n: number, c: number, targets: DeviceRef | null, softTargets: DeviceRef | null,
    weights: DeviceRef | null, labelSmoothing: number, ignoreIndex: number, reduction: Reduction, losses: DeviceRef,
    dlogits: DeviceRef | null) => void;
  kernel<Raw>('cudaCrossEntropy')(
    args.logits, args.n, args.c, args.targets ?? null, args.softTargets ?? null, args.weights ?? null,
    args.labelSmoothing ?? 0, args.ignoreIndex ?? -100, args.reduction ?? 'mean', args.losses, args.dlogits ?? null,
  );
}

type ConvSizes = [number, number, number, number, number, number, number, number, number, number, number, number, number, number];

function convPair(value: Size2d | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

function convSizes(shape: Conv2dShape): ConvSizes {
  const [sh, sw] = convPair(shape.stride, 1);
  const [ph, pw] = convPair(shape.padding, 0);
  const [dh, dw] = convPair(shape.dilation, 1);
  return [shape.n, shape.c, shape.h, shape.w, shape.k, shape.r, shape.s, sh, sw, ph, pw, dh, dw, shape.groups ?? 1];
}

/**
 * How a CUDA convolution multiplies, as {@link CudaGemmArgs.precision}: 'float32' (default) on CUDA cores,
 * 'tf32' or 'bf16' inputs with float32 accumulation on tensor cores (compute capability 8.0 or newer).
 */
export interface CudaConvPrecision {
  precision?: CudaPrecision;
}

/**
 * Convolution forward on the GPU as implicit GEMM, as `conv2dForward`: x (N,C,H,W), weight (K,C/G,R,S),
 * optional bias (K), y (N,K,P,Q) overwritten.
 * @example
 * cudaConv2dForward({ n: 8, c: 16, h: 28, w: 28, k: 32, r: 3, s: 3, padding: 1, x, weight, bias, y });
 * cudaConv2dForward({ ...shape, x, weight, y, precision: 'tf32' }); // on tensor cores
 */
export function cudaConv2dForward(args: OnDevice<Conv2dForwardArgs> & CudaConvPrecision): void {
  type Raw = (...raw: [...ConvSizes, DeviceRef, DeviceRef, DeviceRef | null, DeviceRef, CudaPrecision]) => void;
  kernel<Raw>('cudaConv2dForward')(...convSizes(args), args.x, args.weight, args.bias ?? null, args.y, args.precision ?? 'float32');
}

/**
 * Gradient of the input on the GPU, as `conv2dBackwardData`; dx (N,C,H,W) is overwritten.
 * @example
 * cudaConv2dBackwardData({ ...shape, dy, weight, dx });
 */
export function cudaConv2dBackwardData(args: OnDevice<Conv2dBackwardDataArgs> & CudaConvPrecision): void {
  type Raw = (...raw: [...ConvSizes, DeviceRef, DeviceRef, DeviceRef, CudaPrecision]) => void;
  kernel<Raw>('cudaConv2dBackwardData')(...convSizes(args), args.dy, args.weight, args.dx, args.precision ?? 'float32');
}

/**
 * Gradients of the filters (summed over the batch) and, when `dbias` is given, of the bias, on the GPU,
 * as `conv2dBackwardWeight`.
 * @example
 * cudaConv2dBackwardWeight({ ...shape, x, dy, dw, dbias });
 */
export function cudaConv2dBackwardWeight(args: OnDevice<Conv2dBackwardWeightArgs> & CudaConvPrecision): void {
  type Raw = (...raw: [...ConvSizes, DeviceRef, DeviceRef, DeviceRef, DeviceRef | null, CudaPrecision]) => void;
  kernel<Raw>('cudaConv2dBackwardWeight')(...convSizes(args), args.x, args.dy, args.dw, args.dbias ?? null, args.precision ?? 'float32');
}

export * from './cuda_tensor.js';
