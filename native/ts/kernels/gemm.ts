/**
 * GEMM: `C = alpha * op(A) * op(B) + beta * C`, row-major float32, with strided batches.
 */
import { kernel, type Impl } from '../addon.js';

/** Arguments of {@link gemm}. Leading dimensions and batch strides default to packed matrices. */
export interface GemmArgs {
  /** op(A) = Aᵀ: A is stored (K, M). */
  transA?: boolean;
  /** op(B) = Bᵀ: B is stored (N, K). */
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  lda?: number;
  ldb?: number;
  ldc?: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

type RawGemm = (
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, strideA: number, b: Float32Array, ldb: number, strideB: number,
  beta: number, c: Float32Array, ldc: number, strideC: number, batch: number,
) => void;

/**
 * Matrix multiply into `c`, in place.
 * @example
 * const a = Float32Array.from([1, 2, 3, 4]), b = Float32Array.from([1, 0, 0, 1]), c = new Float32Array(4);
 * gemm({ m: 2, n: 2, k: 2, a, b, c }); // c = a
 */
export function gemm(args: GemmArgs, impl: Impl = 'cpu'): void {
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const { m, n, k } = args;
  const lda = args.lda ?? (transA ? m : k);
  const ldb = args.ldb ?? (transB ? k : n);
  const ldc = args.ldc ?? n;
  kernel<RawGemm>('gemm', impl)(
    transA, transB, m, n, k, args.alpha ?? 1, args.a, lda, args.strideA ?? m * k, args.b, ldb,
    args.strideB ?? k * n, args.beta ?? 0, args.c, ldc, args.strideC ?? m * n, args.batch ?? 1,
  );
}
