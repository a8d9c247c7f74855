/**
 * The CPU backend: every kernel call of every op on a 'cpu' tensor lands here, and from here in the
 * native addon (`@graft/native`). Packed inputs are passed as subarray views starting at the tensor's
 * offset; strided kernels (binary, where, copy) get the whole storage plus offset and strides.
 */
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, argReduce, avgPool2dBackward, avgPool2dForward,
  batchNormBackward, batchNormBackwardEval, batchNormEval, batchNormTrain, bceWithLogits, binary, castFloat32ToInt32,
  castToFloat32, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, crossEntropy, dropout, dropoutBackward,
  gather, gemm, indexAdd, indexSelect, layerNorm, lerp, layerNormBackward, logSoftmax, logSoftmaxBackward, maxPool2dBackward,
  maxPool2dForward, oneHot, randomBernoulli, randomNormal, randomUniform, reduce, scatterAdd, softmax,
  softmaxBackward, stridedCopy, stridedCopyInt32, unary, unaryBackward, where,
  type AvgPool2dShape, type Conv2dShape, type MaxPool2dShape,
} from '@graft/native';
import type { Backend, Conv2dSizes, Pool2dSizes } from './backend.js';
import { registerBackend } from './backend.js';
import type { TypedArray } from './dtype.js';
import type { Tensor } from './tensor.js';

type F32 = Float32Array;
type I32 = Int32Array;

/** The whole storage of a float32 tensor. */
function whole(t: Tensor): F32 {
  return t.storage.data as F32;
}

/** The packed elements of a tensor, from its offset (the op made sure it is contiguous). */
function packed(t: Tensor): F32 {
  return (t.storage.data as F32).subarray(t.offset, t.offset + t.numel);
}

function packedI32(t: Tensor): I32 {
  return (t.storage.data as I32).subarray(t.offset, t.offset + t.numel);
}

function opt(t: Tensor | null | undefined): F32 | undefined {
  return t == null ? undefined : packed(t);
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


/** Element-by-element strided copy for dtypes without a copy kernel (uint8, bool, int64, float16). */
function copyGeneric(src: Tensor, dst: Tensor): void {
  const from = src.storage.data as TypedArray;
  const to = dst.storage.data as TypedArray;
  const nd = src.ndim;
  const n = src.numel;
  const index = new Array<number>(nd).fill(0);
  let s = src.offset;
  let d = dst.offset;
  for (let i = 0; i < n; i++) {
    to[d] = from[s] as never;
    for (let k = nd - 1; k >= 0; k--) {
      if (++index[k] < src.shape[k]) {
        s += src.strides[k];
        d += dst.strides[k];
        break;
      }
      s -= (index[k] - 1) * src.strides[k];
      d -= (index[k] - 1) * dst.strides[k];
      index[k] = 0;
    }
  }
}

const cpu: Backend = {
  device: 'cpu',
  fill(out, value) {
    const data = out.storage.data as TypedArray;
    const v = data instanceof BigInt64Array ? BigInt(Math.trunc(value)) : value;
    data.fill(v as never, out.offset, out.offset + out.numel);
  },
  copy(src, dst) {
    if (src.numel === 0) return;
    if (src.dtype === 'float32' && dst.dtype === 'float32') {
      stridedCopy(src.shape, whole(src), src.offset, src.strides, whole(dst), dst.offset, dst.strides);
    } else if (src.dtype === 'int32' && dst.dtype === 'int32') {
      stridedCopyInt32(src.shape, src.storage.data as I32, src.offset, src.strides, dst.storage.data as I32, dst.offset, dst.strides);
    } else if (src.dtype === dst.dtype) {
      copyGeneric(src, dst);
    } else {
      throw new Error(`copy: dtype mismatch (${src.dtype} into ${dst.dtype})`);
    }
  },
  cast(src, dst, scale) {
    if (dst.dtype === 'float32' && src.dtype === 'int32') castToFloat32(packedI32(src), packed(dst), scale);
    else if (dst.dtype === 'float32' && (src.dtype === 'uint8' || src.dtype === 'bool')) {
      castToFloat32((src.storage.data as Uint8Array).subarray(src.offset, src.offset + src.numel), packed(dst), scale);
    } else if (dst.dtype === 'int32' && src.dtype === 'float32') castFloat32ToInt32(packed(src), packedI32(dst));
    else throw new Error(`cast: no kernel converts ${src.dtype} to ${dst.dtype}`);
  },
  unary(op, x, y, params) {
    unary(op, packed(x), packed(y), params);
  },
  unaryBackward(op, x, y, dy, dx, params) {
    unaryBackward(op, packed(x), packed(y), packed(dy), packed(dx), params);
  },
  binary(op, shape, a, aStrides, b, bStrides, out) {
    binary(op, shape, whole(a), a.offset, aStrides, whole(b), b.offset, bStrides, packed(out));
  },
  where(shape, c, cStrides, a, aStrides, b, bStrides, out) {
    where(shape, whole(c), c.offset, cStrides, whole(a), a.offset, aStrides, whole(b), b.offset, bStrides, packed(out));
  },
  lerp(a, b, w, out) {
    lerp(packed(a), packed(b), packed(w), packed(out));
  },
  reduce(op, x, outer, r, inner, y) {
    reduce(op, packed(x), outer, r, inner, packed(y));
  },
  argReduce(op, x, outer, r, inner, y) {
    argReduce(op, packed(x), outer, r, inner, packedI32(y));
  },
  softmax(log, x, outer, d, inner, y) {
    (log ? logSoftmax : softmax)(packed(x), outer, d, inner, packed(y));
  },
  softmaxBackward(log, y, dy, outer, d, inner, dx) {
    (log ? logSoftmaxBackward : softmaxBackward)(packed(y), packed(dy), outer, d, inner, packed(dx));
  },
  gemm(g) {
    gemm({
      transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, alpha: g.alpha, beta: g.beta,
      a: whole(g.a).subarray(g.a.offset), lda: g.lda, strideA: g.strideA,
      b: whole(g.b).subarray(g.b.offset), ldb: g.ldb, strideB: g.strideB,
      c: whole(g.c).subarray(g.c.offset), ldc: g.ldc, strideC: g.strideC, batch: g.batch,
    });
  },
  indexSelect(x, outer, n, inner, indices, y) {
    indexSelect(packed(x), outer, n, inner, packedI32(indices), packed(y));
  },
  indexAdd(dy, outer, m, inner, indices, n, dx) {
    indexAdd(packed(dy), outer, m, inner, packedI32(indices), packed(dx).subarray(0, outer * n * inner));
  },
  gather(x, outer, n, inner, index, m, y) {
    gather(packed(x), outer, n, inner, packedI32(index).subarray(0, outer * m * inner), packed(y));
  },
  scatterAdd(dy, outer, m, inner, index, n, dx) {
    scatterAdd(packed(dy), outer, m, inner, packedI32(index), packed(dx).subarray(0, outer * n * inner));
  },
  oneHot(labels, classes, out) {
    oneHot(packedI32(labels), classes, packed(out));
  },
  conv2d(p, x, w, bias, y) {
    conv2dForward({ ...convShape(p), x: packed(x), weight: packed(w), bias: opt(bias), y: packed(y) });
  },
  conv2dBackwardData(p, dy, w, dx) {
    conv2dBackwardData({ ...convShape(p), dy: packed(dy), weight: packed(w), dx: packed(dx) });
  },
  conv2dBackwardWeight(p, x, dy, dw, dbias) {
    conv2dBackwardWeight({ ...convShape(p), x: packed(x), dy: packed(dy), dw: packed(dw), dbias: opt(dbias) });
  },
  maxPool2d(p, x, y, indices) {
    maxPool2dForward({ ...maxPoolShape(p), x: packed(x), y: packed(y), indices: packedI32(indices) });
  },
  maxPool2dBackward(p, dy, indices, dx) {
    maxPool2dBackward({ ...maxPoolShape(p), dy: packed(dy), indices: packedI32(indices), dx: packed(dx) });
  },
  avgPool2d(p, x, y) {
    avgPool2dForward({ ...avgPoolShape(p), x: packed(x), y: packed(y) });
  },
  avgPool2dBackward(p, dy, dx) {
    avgPool2dBackward({ ...avgPoolShape(p), dy: packed(dy), dx: packed(dx) });
  },
  adaptiveAvgPool2d(n, c, h, w, outH, outW, x, y) {
    adaptiveAvgPool2dForward({ n, c, h, w, outH, outW, x: packed(x), y: packed(y) });
  },
  adaptiveAvgPool2dBackward(n, c, h, w, outH, outW, dy, dx) {
    adaptiveAvgPool2dBackward({ n, c, h, w, outH, outW, dy: packed(dy), dx: packed(dx) });
  },
  batchNormTrain(a) {
    batchNormTrain({
      x: packed(a.x), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), beta: opt(a.beta), runningMean: opt(a.runningMean),
      runningVar: opt(a.runningVar), momentum: a.momentum, eps: a.eps, y: packed(a.y), saveMean: packed(a.saveMean),
      saveInvStd: packed(a.saveInvstd),
    });
  },
  batchNormEval(a) {
    batchNormEval({
      x: packed(a.x), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), beta: opt(a.beta), runningMean: packed(a.runningMean),
      runningVar: packed(a.runningVar), eps: a.eps, y: packed(a.y),
    });
  },
  batchNormBackward(a) {
    batchNormBackward({
      x: packed(a.x), dy: packed(a.dy), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), saveMean: packed(a.saveMean),
      saveInvStd: packed(a.saveInvstd), dx: opt(a.dx), dgamma: opt(a.dgamma), dbeta: opt(a.dbeta),
    });
  },
  batchNormBackwardEval(a) {
    batchNormBackwardEval({
      dy: packed(a.dy), n: a.n, c: a.c, hw: a.hw, gamma: opt(a.gamma), runningVar: packed(a.runningVar), eps: a.eps,
      dx: opt(a.dx), dgamma: opt(a.dgamma), dbeta: opt(a.dbeta), x: packed(a.x), runningMean: packed(a.runningMean),
    });
  },
  layerNorm(a) {
    layerNorm({
      x: packed(a.x), rows: a.rows, d: a.d, gamma: opt(a.gamma), beta: opt(a.beta), eps: a.eps, y: packed(a.y),
      saveMean: packed(a.saveMean), saveInvStd: packed(a.saveInvstd),
    });
  },
  layerNormBackward(a) {
    layerNormBackward({
      x: packed(a.x), dy: packed(a.dy), rows: a.rows, d: a.d, gamma: opt(a.gamma), saveMean: packed(a.saveMean),
      saveInvStd: packed(a.saveInvstd), dx: opt(a.dx), dgamma: opt(a.dgamma), dbeta: opt(a.dbeta),
    });
  },
  randomUniform(out, seed, offset, low, high) {
    randomUniform(packed(out), seed, offset, low, high);
  },
  randomNormal(out, seed, offset, mean, std) {
    randomNormal(packed(out), seed, offset, mean, std);
  },
  randomBernoulli(out, p, seed, offset) {
    randomBernoulli(packed(out), p, seed, offset);
  },
  dropout(x, y, mask, p, seed, offset) {
    const m = (mask.storage.data as Uint8Array).subarray(mask.offset, mask.offset + mask.numel);
    dropout({ x: packed(x), y: packed(y), mask: m, p, seed, offset });
  },
  dropoutBackward(dy, mask, p, dx) {
    const m = (mask.storage.data as Uint8Array).subarray(mask.offset, mask.offset + mask.numel);
    dropoutBackward({ dy: packed(dy), mask: m, p, dx: packed(dx) });
  },
  crossEntropy(a) {
    crossEntropy({
      logits: packed(a.logits), n: a.n, c: a.c, targets: a.targets ? packedI32(a.targets) : undefined,
      softTargets: opt(a.softTargets), weights: opt(a.weights), labelSmoothing: a.labelSmoothing,
      ignoreIndex: a.ignoreIndex, reduction: a.reduction, losses: packed(a.losses), dlogits: opt(a.dlogits),
    });
  },
  bceWithLogits(a) {
    bceWithLogits({
      logits: packed(a.logits), targets: packed(a.targets), n: a.n, c: a.c, posWeight: opt(a.posWeight),
      reduction: a.reduction, losses: packed(a.losses), dlogits: opt(a.dlogits),
    });
  },
};

registerBackend(cpu);

/**
 * The CPU backend (registered on import).
 * @example
 * cpuBackend.fill(t, 0);
 */
export const cpuBackend: Backend = cpu;
