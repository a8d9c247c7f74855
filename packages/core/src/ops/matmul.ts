/**
 * Matrix products through the native GEMM: transposed operands are passed as GEMM transposes (no
 * copy), batch dims broadcast through a batch stride (0 for a shared matrix), and a (..., M, K) @ (K, N)
 * product with a packed left side folds its batch dims into M (one large GEMM, as in a linear layer).
 */
import { noGrad, record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { broadcastShapes, numel, shapeString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';
import { checkFloat } from './elementwise.js';
import { sumTo } from './reduce.js';
import { contiguous, expand, reshape, squeeze, transpose, unsqueeze } from './views.js';

/** How GEMM reads the last two dims (r, c) of a view: directly (row stride ld) or transposed. */
function gemmLayout(x: Tensor): { trans: boolean; ld: number } | null {
  const nd = x.ndim;
  const r = x.shape[nd - 2];
  const c = x.shape[nd - 1];
  const sr = x.strides[nd - 2];
  const sc = x.strides[nd - 1];
  if ((sc === 1 || c <= 1) && (r <= 1 || sr >= Math.max(1, c))) return { trans: false, ld: r <= 1 ? Math.max(1, c) : sr };
  if ((sr === 1 || r <= 1) && (c <= 1 || sc >= Math.max(1, r))) return { trans: true, ld: c <= 1 ? Math.max(1, r) : sc };
  return null;
}

/** One stride that steps through all batch dims of `x` in row-major order, or null. */
function batchStride(x: Tensor, batchDims: number): number | null {
  let stride: number | null = null;
  let expected = 0;
  let allZero = true;
  for (let d = batchDims - 1; d >= 0; d--) {
    const size = x.shape[d];
    if (size === 1) continue;
    const s = x.strides[d];
    if (s !== 0) allZero = false;
    if (stride === null) {
      stride = s;
      expected = s * size;
    } else if (s !== expected) {
      return null;
    } else {
      expected = s * size;
    }
  }
  if (stride === null) return 0;
  return allZero ? 0 : stride;
}

/** An operand GEMM can read, copying only when its layout leaves no choice. */
function operand(x: Tensor, batchDims: number): { t: Tensor; trans: boolean; ld: number; stride: number } {
  const layout = gemmLayout(x);
  const stride = batchStride(x, batchDims);
  if (layout !== null && stride !== null) return { t: x, ...layout, stride };
  const packed = contiguous(x, true);
  const r = x.shape[x.ndim - 2];
  const c = x.shape[x.ndim - 1];
  return { t: packed, trans: false, ld: Math.max(1, c), stride: batchStride(packed, batchDims) ?? r * c };
}

/** a @ b for a, b with ndim >= 2 (batch dims broadcast); no gradient. */
function matmulRaw(a: Tensor, b: Tensor): Tensor {
  return noGrad(() => {
    const m = a.shape[a.ndim - 2];
    const k = a.shape[a.ndim - 1];
    const n = b.shape[b.ndim - 1];
    if (b.shape[b.ndim - 2] !== k) {
      throw new Error(`matmul: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} do not match (inner sizes ${k} and ${b.shape[b.ndim - 2]})`);
    }
    const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = empty([...batchShape, m, n], { device: a.device });
    if (out.numel === 0) return out;
    if (b.ndim === 2 && a.ndim > 2 && a.isContiguous()) {
      // Fold the batch into M: (B*M, K) @ (K, N).
      const a2 = reshape(a, [-1, k]);
      const o2 = reshape(out, [-1, n]);
      gemm2d(a2, b, o2);
      a2.dispose();
      o2.dispose();
      return out;
    }
    const nb = batchShape.length;
    const ae = expand(a, [...batchShape, m, k]);
    const be = expand(b, [...batchShape, k, n]);
    const A = operand(ae, nb);
    const B = operand(be, nb);
    backendFor(a.device).gemm({
      transA: A.trans, transB: B.trans, m, n, k, alpha: 1, beta: 0,
      a: A.t, lda: A.ld, strideA: A.stride, b: B.t, ldb: B.ld, strideB: B.stride,
      c: out, ldc: Math.max(1, n), strideC: m * n, batch: numel(batchShape),
    });
    for (const t of [ae, be, A.t, B.t]) if (t !== a && t !== b) t.dispose();
    return out;
  });
}

/** out (M, N) = a (M, K) @ b (K, N), 2-D views. */
function gemm2d(a: Tensor, b: Tensor, out: Tensor): void {
  const A = operand(a, 0);
  const B = operand(b, 0);
  backendFor(a.device).gemm({
    transA: A.trans, transB: B.trans, m: a.shape[0], n: b.shape[1], k: a.shape[1], alpha: 1, beta: 0,
    a: A.t, lda: A.ld, strideA: 0, b: B.t, ldb: B.ld, strideB: 0, c: out, ldc: Math.max(1, b.shape[1]), strideC: 0, batch: 1,
  });
  if (A.t !== a) A.t.dispose();
  if (B.t !== b) B.t.dispose();
}

/** d(a @ b)/da = gy @ bᵀ, d/db = aᵀ @ gy, summed over broadcast batch dims. */
function matmulBackward(gy: Tensor, a: Tensor, b: Tensor, needA: boolean, needB: boolean): (Tensor | null)[] {
  let ga: Tensor | null = null;
  let gb: Tensor | null = null;
  if (needA) {
    const bt = transpose(b, -2, -1);
    const full = matmulRaw(gy, bt);
    bt.dispose();
    ga = sumTo(full, a.shape);
    full.dispose();
  }
  if (needB) {
    if (b.ndim === 2 && a.ndim > 2) {
      // Shared weight: (K, B*M) @ (B*M, N) in one GEMM instead of a batch then a sum.
      const k = a.shape[a.ndim - 1];
      const a2 = reshape(a, [-1, k]);
      const g2 = reshape(gy, [-1, gy.shape[gy.ndim - 1]]);
      const at = transpose(a2, 0, 1);
      gb = matmulRaw(at, g2);
      [a2, g2, at].forEach((t) => t.dispose());
    } else {
      const at = transpose(a, -2, -1);
      const full = matmulRaw(at, gy);
      at.dispose();
      gb = sumTo(full, b.shape);
      full.dispose();
    }
  }
  return [ga, gb];
}

/**
 * Matrix product with numpy semantics: 1-D operands are promoted (and the added dim removed),
 * batch dims broadcast.
 * @example
 * matmul(x, w.T); // (B, in) @ (in, out)
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkFloat('matmul', a);
  checkFloat('matmul', b);
  if (a.device !== b.device) throw new Error(`matmul: tensors are on different devices (${a.device}, ${b.device})`);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least 1 dim (got ${shapeString(a.shape)} and ${shapeString(b.shape)})`);
  }
  if (a.ndim === 1 || b.ndim === 1) {
    const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.ndim === 1 ? unsqueeze(b, -1) : b;
    let out = matmul(a2, b2);
    if (a.ndim === 1) {
      const s = squeeze(out, -2);
      out.dispose();
      out = s;
    }
    if (b.ndim === 1) {
      const s = squeeze(out, -1);
      out.dispose();
      out = s;
    }
    if (a2 !== a) a2.dispose();
    if (b2 !== b) b2.dispose();
    return out;
  }
  const out = matmulRaw(a, b);
  const [ra, rb] = [a.requiresGrad, b.requiresGrad];
  return record('matmul', out, [a, b], (gy, [sa, sb]) => matmulBackward(gy, sa, sb, ra, rb), [a, b]);
}
