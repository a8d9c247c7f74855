/**
 * The device dispatch point. Every op reaches device code through `backendFor(tensor.device)`, and a
 * backend implements each kernel family once for its device. Arguments are tensors (their storage,
 * offset and strides say where the data is) plus sizes; outputs are pre-allocated by the op and
 * written in place. The CUDA backend (`cuda_backend.ts`) implements this same interface over device
 * storage. Registered backends are wrapped so that a call mixing devices throws
 * "<op>: tensors are on different devices (cpu, cuda:0)" before any kernel runs, and so that `copy`
 * between two devices moves the data (the one op that may mix them).
 */
import type { BinaryOpName, ReduceOpName, UnaryOpName, UnaryParams } from '../ops/types.js';
import type { Device } from './storage.js';
import type { Tensor } from './tensor.js';
import { copyAcrossDevices } from './transfer.js';

/** Sizes of a 2-D convolution: x (N,C,H,W), w (K,C/G,R,S), y (N,K,P,Q). */
export interface Conv2dSizes {
  n: number; c: number; h: number; w: number; k: number; r: number; s: number;
  strideH: number; strideW: number; padH: number; padW: number; dilH: number; dilW: number; groups: number;
}

/** Sizes of a 2-D pooling window over x (N,C,H,W) -> y (N,C,P,Q). */
export interface Pool2dSizes {
  n: number; c: number; h: number; w: number; p: number; q: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number; padH: number; padW: number;
  /** Max pool only (average pooling has no dilation). */
  dilH: number; dilW: number;
  /** avgPool2d: count padded cells in the divisor. */
  countIncludePad: boolean;
  ceilMode: boolean;
}

/** Arguments of the fused cross-entropy kernel over logits (N, C). */
export interface CrossEntropyArgs {
  logits: Tensor;
  n: number;
  c: number;
  targets?: Tensor;
  softTargets?: Tensor;
  weights?: Tensor;
  labelSmoothing: number;
  ignoreIndex: number;
  reduction: 'none' | 'mean' | 'sum';
  /** (N) per-row losses, or (1) when reduced. */
  losses: Tensor;
  /** (N, C) gradient of the (reduced) loss w.r.t. the logits for a unit upstream gradient. */
  dlogits?: Tensor;
}

/** Arguments of the fused binary-cross-entropy-with-logits kernel over logits (N, C). */
export interface BceWithLogitsArgs {
  logits: Tensor;
  targets: Tensor;
  n: number;
  c: number;
  /** (C) weight of the positive term per class. */
  posWeight?: Tensor;
  reduction: 'none' | 'mean' | 'sum';
  /** (N*C) losses, or (1) when reduced. */
  losses: Tensor;
  dlogits?: Tensor;
}

/** Kernels a device must provide. Inputs marked "packed" must be contiguous (the op ensures it). */
export interface Backend {
  readonly device: Device;
  /** out[...] = value (any dtype). */
  fill(out: Tensor, value: number): void;
  /** dst[...] = src[...], same shape, any strides (float32 and int32; other dtypes element by element). */
  copy(src: Tensor, dst: Tensor): void;
  /** Packed dtype conversion: uint8/int32 -> float32 (times scale), float32 -> int32 (truncating). */
  cast(src: Tensor, dst: Tensor, scale: number): void;
  /** y = op(x), both packed float32 (y may be x). */
  unary(op: UnaryOpName, x: Tensor, y: Tensor, params: UnaryParams): void;
  /** dx = dy * op'(x) (x, y the forward input/output), all packed. */
  unaryBackward(op: UnaryOpName, x: Tensor, y: Tensor, dy: Tensor, dx: Tensor, params: UnaryParams): void;
  /** out (packed, `shape`) = op(a, b); a and b read through the given (broadcast) strides. */
  binary(op: BinaryOpName, shape: readonly number[], a: Tensor, aStrides: readonly number[], b: Tensor, bStrides: readonly number[], out: Tensor): void;
  /** out = cond != 0 ? a : b, each read through its strides. */
  where(shape: readonly number[], cond: Tensor, condStrides: readonly number[], a: Tensor, aStrides: readonly number[], b: Tensor, bStrides: readonly number[], out: Tensor): void;
  /** out = a + w * (b - a), all packed float32 of one shape (out may be a, b or w). */
  lerp(a: Tensor, b: Tensor, w: Tensor, out: Tensor): void;
  /** x (O,R,I) packed -> y (O,I). */
  reduce(op: ReduceOpName, x: Tensor, outer: number, r: number, inner: number, y: Tensor): void;
  /** x (O,R,I) packed -> int32 y (O,I). */
  argReduce(op: 'argmax' | 'argmin', x: Tensor, outer: number, r: number, inner: number, y: Tensor): void;
  /** x (O,D,I) packed -> y. */
  softmax(log: boolean, x: Tensor, outer: number, d: number, inner: number, y: Tensor): void;
  /** dx from the forward output y and dy. */
  softmaxBackward(log: boolean, y: Tensor, dy: Tensor, outer: number, d: number, inner: number, dx: Tensor): void;
  /** C = alpha op(A) op(B) + beta C over strided batches; offsets come from the tensors. */
  gemm(args: GemmTensorArgs): void;
  indexSelect(x: Tensor, outer: number, n: number, inner: number, indices: Tensor, y: Tensor): void;
  indexAdd(dy: Tensor, outer: number, m: number, inner: number, indices: Tensor, n: number, dx: Tensor): void;
  gather(x: Tensor, outer: number, n: number, inner: number, index: Tensor, m: number, y: Tensor): void;
  scatterAdd(dy: Tensor, outer: number, m: number, inner: number, index: Tensor, n: number, dx: Tensor): void;
  oneHot(labels: Tensor, classes: number, out: Tensor): void;
  conv2d(p: Conv2dSizes, x: Tensor, w: Tensor, bias: Tensor | null, y: Tensor): void;
  conv2dBackwardData(p: Conv2dSizes, dy: Tensor, w: Tensor, dx: Tensor): void;
  conv2dBackwardWeight(p: Conv2dSizes, x: Tensor, dy: Tensor, dw: Tensor, dbias: Tensor | null): void;
  maxPool2d(p: Pool2dSizes, x: Tensor, y: Tensor, indices: Tensor): void;
  maxPool2dBackward(p: Pool2dSizes, dy: Tensor, indices: Tensor, dx: Tensor): void;
  avgPool2d(p: Pool2dSizes, x: Tensor, y: Tensor): void;
  avgPool2dBackward(p: Pool2dSizes, dy: Tensor, dx: Tensor): void;
  adaptiveAvgPool2d(n: number, c: number, h: number, w: number, p: number, q: number, x: Tensor, y: Tensor): void;
  adaptiveAvgPool2dBackward(n: number, c: number, h: number, w: number, p: number, q: number, dy: Tensor, dx: Tensor): void;
  batchNormTrain(a: BatchNormTrainTensors): void;
  batchNormEval(a: BatchNormEvalTensors): void;
  batchNormBackward(a: BatchNormBackwardTensors): void;
  batchNormBackwardEval(a: BatchNormBackwardEvalTensors): void;
  layerNorm(a: LayerNormTensors): void;
  layerNormBackward(a: LayerNormBackwardTensors): void;
  randomUniform(out: Tensor, seed: number, offset: number, low: number, high: number): void;
  randomNormal(out: Tensor, seed: number, offset: number, mean: number, std: number): void;
  randomBernoulli(out: Tensor, p: number, seed: number, offset: number): void;
  dropout(x: Tensor, y: Tensor, mask: Tensor, p: number, seed: number, offset: number): void;
  dropoutBackward(dy: Tensor, mask: Tensor, p: number, dx: Tensor): void;
  crossEntropy(a: CrossEntropyArgs): void;
  bceWithLogits(a: BceWithLogitsArgs): void;
}

/** Arguments of {@link Backend.gemm}: matrices are read from each tensor's offset. */
export interface GemmTensorArgs {
  transA: boolean; transB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  a: Tensor; lda: number; strideA: number;
  b: Tensor; ldb: number; strideB: number;
  c: Tensor; ldc: number; strideC: number;
  batch: number;
}

/** Batch-norm training forward over x (N,C,HW). */
export interface BatchNormTrainTensors {
  n: number; c: number; hw: number; momentum: number; eps: number;
  x: Tensor; gamma: Tensor | null; beta: Tensor | null; runningMean: Tensor | null; runningVar: Tensor | null;
  y: Tensor; saveMean: Tensor; saveInvstd: Tensor;
}

/** Batch-norm inference forward with running statistics. */
export interface BatchNormEvalTensors {
  n: number; c: number; hw: number; eps: number;
  x: Tensor; gamma: Tensor | null; beta: Tensor | null; runningMean: Tensor; runningVar: Tensor; y: Tensor;
}

/** Batch-norm training backward. */
export interface BatchNormBackwardTensors {
  n: number; c: number; hw: number;
  x: Tensor; dy: Tensor; gamma: Tensor | null; saveMean: Tensor; saveInvstd: Tensor;
  dx: Tensor | null; dgamma: Tensor | null; dbeta: Tensor | null;
}

/** Batch-norm backward with frozen statistics. */
export interface BatchNormBackwardEvalTensors {
  n: number; c: number; hw: number; eps: number;
  x: Tensor; dy: Tensor; gamma: Tensor | null; runningMean: Tensor; runningVar: Tensor;
  dx: Tensor | null; dgamma: Tensor | null; dbeta: Tensor | null;
}

/** Layer-norm forward over the last D values of each row. */
export interface LayerNormTensors {
  rows: number; d: number; eps: number;
  x: Tensor; gamma: Tensor | null; beta: Tensor | null; y: Tensor; saveMean: Tensor; saveInvstd: Tensor;
}

/** Layer-norm backward. */
export interface LayerNormBackwardTensors {
  rows: number; d: number;
  x: Tensor; dy: Tensor; gamma: Tensor | null; saveMean: Tensor; saveInvstd: Tensor;
  dx: Tensor | null; dgamma: Tensor | null; dbeta: Tensor | null;
}

const backends = new Map<string, Backend>();
/** Per canonical device ('cpu', 'cuda:0', ...): its kind's backend wrapped by `guarded`. */
const guardedBackends = new Map<string, Backend>();

function isTensorLike(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'storage' in value && 'strides' in value;
}

/** The first device among a call's tensors (top-level or fields of an argument object) that differs from `device`. */
function foreignDevice(device: string, args: readonly unknown[]): string | null {
  for (const arg of args) {
    if (isTensorLike(arg)) {
      if (arg.device !== device) return arg.device;
    } else if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
      for (const field of Object.values(arg)) if (isTensorLike(field) && field.device !== device) return field.device;
    }
  }
  return null;
}

/** Each method checks that every tensor it gets lives on `device`; `copy` across devices transfers. */
function guarded(backend: Backend, device: string): Backend {
  const out: Record<string, unknown> = { device };
  for (const [name, method] of Object.entries(backend)) {
    if (typeof method !== 'function') continue;
    const fn = method as (...args: unknown[]) => void;
    out[name] = (...args: unknown[]): void => {
      if (name === 'copy' && isTensorLike(args[0]) && isTensorLike(args[1]) && args[0].device !== args[1].device) {
        copyAcrossDevices(args[0], args[1]);
        return;
      }
      const other = foreignDevice(device, args);
      if (other !== null) {
        const op = typeof args[0] === 'string' ? args[0] : name;  // unary/binary/reduce name the op first
        throw new Error(`${op}: tensors are on different devices (${device}, ${other})`);
      }
      fn.apply(backend, args);
    };
  }
  return out as unknown as Backend;
}

/**
 * Registers the backend of a device kind ('cpu', or 'cuda' for every CUDA device); the CPU backend
 * registers itself, the CUDA backend on import of `cuda_backend.ts`.
 * @example
 * registerBackend(cudaBackend);
 */
export function registerBackend(backend: Backend): void {
  backends.set(backend.device === 'cpu' ? 'cpu' : 'cuda', backend);
  guardedBackends.clear();
}

/**
 * The backend that runs kernels for `device`.
 * @example
 * backendFor('cpu').fill(t, 0);
 */
export function backendFor(device: Device): Backend {
  const key = device === 'cpu' ? 'cpu' : 'cuda';
  const backend = backends.get(key);
  if (backend === undefined) throw new Error(`@graft/core: no backend is registered for device '${device}'`);
  const canonical = device === 'cuda' ? 'cuda:0' : device;
  let forDevice = guardedBackends.get(canonical);
  if (forDevice === undefined) {
    forDevice = guarded(backend, canonical);
    guardedBackends.set(canonical, forDevice);
  }
  return forDevice;
}


