/**
 * The CUDA backend: every kernel call of every op on a 'cuda:N' tensor lands here, and from here in
 * the CUDA kernels of `@graft/native`. A tensor's packed elements are passed as a slice of its
 * storage's device buffer (from its offset, numel elements); strided kernels (binary, where, copy)
 * get the whole buffer plus offset and strides. Kernels are queued on the device's stream: nothing
 * here waits for the GPU or copies to the host.
 */
import {
  cudaAdaptiveAvgPool2dBackward, cudaAdaptiveAvgPool2dForward, cudaArgReduce, cudaAvgPool2dBackward,
  cudaAvgPool2dForward, cudaBatchNormBackward, cudaBatchNormBackwardEval, cudaBatchNormEval, cudaBatchNormTrain,
  cudaBceWithLogits, cudaBinary, cudaCast, cudaConv2dBackwardData, cudaConv2dBackwardWeight, cudaConv2dForward,
  cudaCrossEntropy, cudaDropout, cudaDropoutBackward, cudaFill, cudaGather, cudaGemm, cudaIndexAdd, cudaIndexSelect,
  cudaLayerNorm, cudaLayerNormBackward, cudaLerp, cudaLogSoftmax, cudaLogSoftmaxBackward, cudaMaxPool2dBackward,
  cudaMaxPool2dForward, cudaOneHot, cudaRandomBernoulli, cudaRandomNormal, cudaRandomUniform, cudaReduce,
  cudaScatterAdd, cudaSoftmax, cudaSoftmaxBackward, cudaStridedCopy, cudaUnary, cudaUnaryBackward, cudaWhere,
  type AvgPool2dShape, type Conv2dShape, type CudaPrecision, type DeviceSlice, type MaxPool2dShape,
} from '@graft/native';
import type { Backend, Conv2dSizes, Pool2dSizes } from './backend.js';
import { registerBackend } from './backend.js';
import { arrayFor, itemSize } from './dtype.js';
import type { Tensor } from './tensor.js';
import { storageSlice } from './transfer.js';

let matmulPrecision: CudaPrecision = 'float32';
let convPrecision: CudaPrecision = 'float32';

function checkPrecision(op: string, precision: CudaPrecision): void {
  if (precision !== 'float32' && precision !== 'tf32' && precision !== 'bf16') {
    throw new Error(`${op}: argument 'precision' must be 'float32', 'tf32' or 'bf16', got '${String(precision)}'`);
  }
}

/**
 * How CUDA matrix products (matmul, linear) multiply: 'float32' (default; matches the CPU to float32
 * rounding), or tensor cores with 'tf32' or 'bf16' inputs and float32 accumulation (faster, about 1e-3
 * and 1e-2 relative error). Convolutions have their own setting, {@link setCudaConvPrecision}.
 * @example
 * setCudaMatmulPrecision('tf32');
 */
export function setCudaMatmulPrecision(precision: CudaPrecision): void {
  checkPrecision('setCudaMatmulPrecision', precision);
  matmulPrecision = precision;
}

/**
 * How CUDA convolutions (forward and both gradients) multiply: 'float32' (default), or tensor cores with
 * 'tf32' or 'bf16' inputs and float32 accumulation, as {@link setCudaMatmulPrecision}. (PyTorch runs
 * cuDNN convolutions in TF32 by default; 'tf32' here is the like-for-like setting.)
 * @example
 * setCudaConvPrecision('tf32');
 */
export function setCudaConvPrecision(precision: CudaPrecision): void {
  checkPrecision('setCudaConvPrecision', precision);
  convPrecision = precision;
}

/**
 * The precision CUDA convolutions use now.
 * @example
 * getCudaConvPrecision(); // 'float32'
 */
export function getCudaConvPrecision(): CudaPrecision {
  return convPrecision;
}

/**
 * The precision CUDA matrix products use now.
 * @example
 * getCudaMatmulPrecision(); // 'float32'
 */
export function getCudaMatmulPrecision(): CudaPrecision {
  return matmulPrecision;
}

/** The packed elements of a tensor (the op made sure it is contiguous). */
function ref(t: Tensor): DeviceSlice {
  return storageSlice(t, t.offset, t.numel);
}

/** From the tensor's offset to the end of its storage (gemm reads strided matrices from there). */
function tail(t: Tensor): DeviceSlice {
  return storageSlice(t, t.offset, t.storage.length - t.offset);
}

function opt(t: Tensor | null | undefined): DeviceSlice | undefined {
  return t == null ? undefined : ref(t);
}

function elemSize(t: Tensor): 1 | 2 | 4 | 8 {
  return itemSize(t.dtype) as 1 | 2 | 4 | 8;
}

/** The bits `value` has once stored in a tensor of t's dtype: the CPU's typed-array conversion. */
function encodedBits(t: Tensor, value: number): [number, number] {
  const bytes = new ArrayBuffer(8);
  const one = arrayFor(t.dtype, bytes, 0, 1);
  if (one instanceof BigInt64Array) one[0] = BigInt(Math.trunc(Number.isFinite(value) ? value : 0));
  else one[0] = value;
  const words = new Uint32Array(bytes);
  return [words[0], words[1]];
}

function convShape(p: Conv2dSizes): Conv2dShape {
  return {
    n: p.n, c: p.c, h: p.h, w: p.w, k: p.k, r: p.r, s: p.s, stride: [p.strideH, p.strideW],
    padding: [p.padH, p.padW], dilation: [p.dilH, p.dilW], groups: p.groups,
  };
}

function maxPoolShape(p: Pool2dSizes): MaxPool2dShape {
  return {
    n: p.n, c: p.c, h: p.h, w: p.w, kernelSize: [p.kernelH, p.kernelW], stride: [p.strideH, p.strideW],
    padding: [p.padH, p.padW], dilation: [p.dilH, p.dilW], ceilMode: p.ceilMode,
  };
}

function avgPoolShape(p: Pool2dSizes): AvgPool2dShape {
  return {
    n: p.n, c: p.c, h: p.h, w: p.w, kernelSize: [p.kernelH, p.kernelW], stride: [p.strideH, p.strideW],
    padding: [p.padH, p.padW], ceilMode: p.ceilMode, countIncludePad: p.countIncludePad,
  };
}

const plumbing: Pick<Backend, 'fill' | 'copy' | 'cast' | 'unary' | 'unaryBackward' | 'binary' | 'where' | 'lerp'> = {
  fill(out, value) {
    const [lo, hi] = encodedBits(out, value);
    cudaFill(ref(out), elemSize(out), lo, hi);
  },
  copy(src, dst) {
    if (src.dtype !== dst.dtype) throw new Error(`copy: dtype mismatch (${src.dtype} into ${dst.dtype})`);
    if (src.numel === 0) return;
    cudaStridedCopy(
      src.shape, src.storage.deviceBuffer, src.offset, src.strides, dst.storage.deviceBuffer, dst.offset, dst.strides,
      elemSize(src),
    );
  },
  cast(src, dst, scale) {
    // The CPU kernel takes the scale as a float32 (1/255 rounded) and multiplies in double; the CUDA
    // kernel multiplies by the double it is given, so it gets the same rounded scale for the same bits.
    cudaCast(ref(src), src.dtype, ref(dst), dst.dtype, src.numel, Math.fround(scale));
  },
  unary(op, x, y, params) {
    cudaUnary(op, ref(x), ref(y), params);
  },
  unaryBackward(op, x, y, dy, dx, params) {
    cudaUnaryBackward(op, ref(x), ref(y), ref(dy), ref(dx), params);
  },
  binary(op, shape, a, aStrides, b, bStrides, out) {
    cudaBinary(op, shape, a.storage.deviceBuffer, a.offset, aStrides, b.storage.deviceBuffer, b.offset, bStrides, ref(out));
  },
  where(shape, c, cStrides, a, aStrides, b, bStrides, out) {
    cudaWhere(
      shape, c.storage.deviceBuffer, c.offset, cStrides, a.storage.deviceBuffer, a.offset, aStrides,
      b.storage.deviceBuffer, b.offset, bStrides, ref(out),
    );
  },
  lerp(a, b, w, out) {
    cudaLerp(ref(a), ref(b), ref(w), ref(out));
  },
};

const math: Pick<Backend, 'reduce' | 'argReduce' | 'softmax' | 'softmaxBackward' | 'gemm' | 'indexSelect' | 'indexAdd'
  | 'gather' | 'scatterAdd' | 'oneHot'> = {
  reduce(op, x, outer, r, inner, y) {
    cudaReduce(op, ref(x), outer, r, inner, ref(y));
  },
  argReduce(op, x, outer, r, inner, y) {
    cudaArgReduce(op, ref(x), outer, r, inner, ref(y));
  },
  softmax(log, x, outer, d, inner, y) {
    (log ? cudaLogSoftmax : cudaSoftmax)(ref(x), outer, d, inner, ref(y));
  },
  softmaxBackward(log, y, dy, outer, d, inner, dx) {
    (log ? cudaLogSoftmaxBackward : cudaSoftmaxBackward)(ref(y), ref(dy), outer, d, inner, ref(dx));
  },
  gemm(g) {
    cudaGemm({
      transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, alpha: g.alpha, beta: g.beta,
      a: tail(g.a), lda: g.lda, strideA: g.strideA, b: tail(g.b), ldb: g.ldb, strideB: g.strideB,
      c: tail(g.c), ldc: g.ldc, strideC: g.strideC, batch: g.batch, precision: matmulPrecision,
    });
  },
  indexSelect(x, outer, n, inner, indices, y) {
    cudaIndexSelect(ref(x), outer, n, inner, ref(indices), indices.numel, ref(y));
  },
  indexAdd(dy, outer, m, inner, indices, n, dx) {
    cudaIndexAdd(ref(dy), outer, m, inner, ref(indices), n, storageSlice(dx, dx.offset, outer * n * inner));
  },
  gather(x, outer, n, inner, index, m, y) {
    cudaGather(ref(x), outer, n, inner, storageSlice(index, index.offset, outer * m * inner), m, ref(y));
  },
  scatterAdd(dy, outer, m, inner, index, n, dx) {
    cudaScatterAdd(ref(dy), outer, m, inner, ref(index), n, storageSlice(dx, dx.offset, outer * n * inner));
  },
  oneHot(labels, classes, out) {
    cudaOneHot(ref(labels), labels.numel, classes, ref(out));
  },
};

const layers: Omit<Backend, keyof typeof plumbing | keyof typeof math | 'device'> = {
  conv2d(p, x, w, bias, y) {
    cudaConv2dForward({ ...convShape(p), x: ref(x), weight: ref(w), bias: opt(bias), y: ref(y), precision: convPrecision });
  },
  conv2dBackwardData(p, dy, w, dx) {
    cudaConv2dBackwardData({ ...convShape(p), dy: ref(dy), weight: ref(w), dx: ref(dx), precision: convPrecision });
  },
  conv2dBackwardWeight(p, x, dy, dw, dbias) {
    cudaConv2dBackwardWeight({ ...convShape(p), x: ref(x), dy: ref(dy), dw: ref(dw), dbias: opt(dbias), precision: convPrecision });
  },
  maxPool2d(p, x, y, indices) {
    cudaMaxPool2dForward({ ...maxPoolShape(p), x: ref(x), y: ref(y), indices: ref(indices) });
  },
  maxPool2dBackward(p, dy, indices, dx) {
    cudaMaxPool2dBackward({ ...maxPoolShape(p), dy: ref(dy), indices: ref(indices), dx: ref(dx) });
  },
  avgPool2d(p, x, y) {
    cudaAvgPool2dForward({ ...avgPoolShape(p), x: ref(x), y: ref(y) });
  },
  avgPool2dBackward(p, dy, dx) {
    cudaAvgPool2dBackward({ ...avgPoolShape(p), dy: ref(dy), dx: ref(dx) });
  },
  adaptiveAvgPool2d(n, c, h, w, outH, outW, x, y) {
    cudaAdaptiveAvgPool2dForward({ n, c, h, w, outH, outW, x: ref(x), y: ref(y) });
  },
  adaptiveAvgPool2dBackward(n, c, h, w, outH, outW, dy, dx) {
    cudaAdaptiveAvgPool2dBackward({ n, c, h, w, outH, outW, dy: ref(dy), dx: ref(dx) });
  },
  batchNormTrain(a) {
    cudaBatchNormTrain({
      x: ref(a.x), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), beta: opt(a.beta), runningMean: opt(a.runningMean),
      runningVar: opt(a.runningVar), momentum: a.momentum, eps: a.eps, y: ref(a.y), saveMean: ref(a.saveMean),
      saveInvStd: ref(a.saveInvstd),
    });
  },
  batchNormEval(a) {
    cudaBatchNormEval({
      x: ref(a.x), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), beta: opt(a.beta), runningMean: ref(a.runningMean),
      runningVar: ref(a.runningVar), eps: a.eps, y: ref(a.y),
    });
  },
  batchNormBackward(a) {
    cudaBatchNormBackward({
      x: ref(a.x), dy: ref(a.dy), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), saveMean: ref(a.saveMean),
      saveInvStd: ref(a.saveInvstd), dx: opt(a.dx), dgamma: opt(a.dgamma), dbeta: opt(a.dbeta),
    });
  },
  batchNormBackwardEval(a) {
    cudaBatchNormBackwardEval({
      dy: ref(a.dy), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), runningVar: ref(a.runningVar), eps: a.eps,
      dx: opt(a.dx), dgamma: opt(a.dgamma), dbeta: opt(a.dbeta), x: ref(a.x), runningMean: ref(a.runningMean),
    });
  },
  layerNorm(a) {
    cudaLayerNorm({
      x: ref(a.x), rows: a.rows, d: a.d, gamma: opt(a.gamma), beta: opt(a.beta), eps: a.eps, y: ref(a.y),
      saveMean: ref(a.saveMean), saveInvStd: ref(a.saveInvstd),
    });
  },
  layerNormBackward(a) {
    cudaLayerNormBackward({
      x: ref(a.x), dy: ref(a.dy), rows: a.rows, d: a.d, gamma: opt(a.gamma), saveMean: ref(a.saveMean),
      saveInvStd: ref(a.saveInvstd), dx: opt(a.dx), dgamma: opt(a.dgamma), dbeta: opt(a.dbeta),
    });
  },
  randomUniform(out, seed, offset, low, high) {
    cudaRandomUniform(ref(out), seed, offset, low, high);
  },
  randomNormal(out, seed, offset, mean, std) {
    cudaRandomNormal(ref(out), seed, offset, mean, std);
  },
  randomBernoulli(out, p, seed, offset) {
    cudaRandomBernoulli(ref(out), p, seed, offset);
  },
  dropout(x, y, mask, p, seed, offset) {
    cudaDropout(ref(x), ref(y), ref(mask), p, seed, offset);
  },
  dropoutBackward(dy, mask, p, dx) {
    cudaDropoutBackward(ref(dy), ref(mask), p, ref(dx));
  },
  crossEntropy(a) {
    cudaCrossEntropy({
      logits: ref(a.logits), n: a.n, c: a.c, targets: a.targets ? ref(a.targets) : undefined,
      softTargets: opt(a.softTargets), weights: opt(a.weights), labelSmoothing: a.labelSmoothing,
      ignoreIndex: a.ignoreIndex, reduction: a.reduction, losses: ref(a.losses), dlogits: opt(a.dlogits),
    });
  },
  bceWithLogits(a) {
    cudaBceWithLogits({
      logits: ref(a.logits), targets: ref(a.targets), n: a.n, c: a.c, posWeight: opt(a.posWeight),
      reduction: a.reduction, losses: ref(a.losses), dlogits: opt(a.dlogits),
    });
  },
};

/**
 * The CUDA backend (registered on import; serves every 'cuda:N' device, each kernel running on the
 * device that holds its buffers).
 * @example
 * cudaBackend.fill(t, 0); // t on 'cuda:0'
 */
export const cudaBackend: Backend = { device: 'cuda', ...plumbing, ...math, ...layers };

registerBackend(cudaBackend);
