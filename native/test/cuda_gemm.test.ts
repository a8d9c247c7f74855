// CUDA GEMM at every precision, checked against the CPU reference. Every suite needs a GPU
// (`capabilities().cudaDevices` non-empty) and is skipped, with the reason, where there is none;
// cuda.test.ts checks the errors a build without CUDA or a GPU gives.
import { afterEach, describe, expect, it } from 'vitest';
import { cudaGemm, cudaToArray, gemm } from '@graft/native';
import { caps, deviceBuffers, hasCuda, precisions, productTolerance, tensorCores, why } from './cuda_helpers.js';
import { expectClose, randomArray, seededRandom } from './helpers.js';

const { dev, devZeros, disposeAll } = deviceBuffers();

// 1, primes, sizes off the 128-wide tiles and the K steps, zero-size dims, several tiles.
const gemmShapes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 3], [5, 1, 11], [7, 13, 5], [17, 9, 31], [33, 65, 17], [64, 64, 64],
  [100, 37, 129], [3, 0, 5], [0, 4, 4], [4, 4, 0], [257, 130, 67],
];

describe.skipIf(!hasCuda).each(precisions)(`cudaGemm (%s)${why}`, (precision) => {
  afterEach(disposeAll);

  for (const [m, n, k] of gemmShapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, () => {
        const rand = seededRandom(m * 1000 + n * 10 + k);
        const a = randomArray(m * k, rand), b = randomArray(k * n, rand), c0 = randomArray(m * n, rand);
        const args = { m, n, k, transA, transB, alpha: 0.75, beta: 0.5 };
        const expected = c0.slice();
        gemm({ ...args, a, b, c: expected }, 'ref');
        const c = dev(c0);
        cudaGemm({ ...args, a: dev(a), b: dev(b), c, precision });
        expectClose(cudaToArray(c), expected, productTolerance[precision](k), `cudaGemm ${precision} ${m}x${n}x${k}`);
      });
    }
  }

  it('strided batches with padded leading dimensions', () => {
    const rand = seededRandom(7);
    const [m, n, k, batch] = [66, 10, 19, 3];
    const lda = k + 3, ldb = n + 1, ldc = n + 5;
    const strideA = m * lda + 2, strideB = k * ldb, strideC = m * ldc + 1;
    const a = randomArray(strideA * batch, rand), b = randomArray(strideB * batch, rand);
    const c0 = randomArray(strideC * batch, rand);
    const args = { m, n, k, lda, ldb, ldc, batch, strideA, strideB, strideC, beta: 1 };
    const expected = c0.slice();
    gemm({ ...args, a, b, c: expected }, 'ref');
    const c = dev(c0);
    cudaGemm({ ...args, a: dev(a), b: dev(b), c, precision });
    expectClose(cudaToArray(c), expected, productTolerance[precision](k), 'batched cudaGemm');
  });

  it('beta = 0 ignores NaN already in C', () => {
    const c = dev(new Float32Array(4).fill(NaN));
    cudaGemm({ m: 2, n: 2, k: 2, a: dev(Float32Array.from([1, 2, 3, 4])), b: dev(Float32Array.from([1, 0, 0, 1])), c, precision });
    expect(Array.from(cudaToArray(c))).toEqual([1, 2, 3, 4]); // small integers are exact in TF32 and BF16
  });

  it('names the argument and the sizes when a buffer is too short', () => {
    expect(() => cudaGemm({ m: 2, n: 2, k: 2, a: devZeros(3), b: devZeros(4), c: devZeros(4), precision }))
      .toThrow(/cudaGemm: argument 'a' has 3 elements but needs at least 4 \(m=2, n=2, k=2/);
  });
});

// The tensor-core multiply has two kernels: wgmma where the device can run it (compute capability 9.0 and
// a build with sm_90a code, or the simulator), mma.sync elsewhere and with GRAFT_WGMMA=0. Each runs
// shapes deep enough in K to go round the shared-memory ring of stages several times (the wgmma kernel
// keeps 4 or 5 stages of 128 bytes of K: 32 TF32 or 64 BF16 values), batched, transposed and off the
// tiles (300 columns: two and a half 128-wide tiles, one and a bit 256-wide ones).
const wgmmaCapable = hasCuda && caps.cudaDevices.some((d) => d.computeCapability === '9.0');
const tensorCorePrecisions = tensorCores ? (['tf32', 'bf16'] as const) : [];

function withWgmmaSetting<T>(setting: string | undefined, run: () => T): T {
  const saved = process.env.GRAFT_WGMMA;
  if (setting === undefined) delete process.env.GRAFT_WGMMA;
  else process.env.GRAFT_WGMMA = setting;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.GRAFT_WGMMA;
    else process.env.GRAFT_WGMMA = saved;
  }
}

describe.skipIf(!tensorCores).each(tensorCorePrecisions)(`tensor-core GEMM kernels (%s)${why}`, (precision) => {
  afterEach(() => {
    delete process.env.GRAFT_GEMM_TILE;
    disposeAll();
  });
  // [GRAFT_WGMMA, GRAFT_GEMM_TILE]: the mma.sync kernel, the wgmma kernel on each of its tiles, and the
  // automatic choice.
  const settings: Array<[string, string]> = wgmmaCapable
    ? [['0', ''], ['1', '128x128'], ['1', '128x256'], ['', '']]
    : [['0', ''], ['', '']];

  for (const [setting, tile] of settings) {
    const kernel = setting === '0' ? 'mma.sync' : setting === '1' ? `wgmma ${tile}` : 'automatic choice';
    it(`${kernel}: deep K, batched, both transposes (GRAFT_WGMMA='${setting}')`, () => {
      const rand = seededRandom(4242);
      const [m, n, k, batch] = [65, 300, 420, 2];
      for (const [transA, transB] of [[false, true], [true, false]] as const) {
        const a = randomArray(m * k * batch, rand), b = randomArray(k * n * batch, rand), c0 = randomArray(m * n * batch, rand);
        const args = { m, n, k, transA, transB, batch, strideA: m * k, strideB: k * n, strideC: m * n, alpha: 1.25, beta: -0.5 };
        const expected = c0.slice();
        gemm({ ...args, a, b, c: expected }, 'ref');
        const c = dev(c0);
        process.env.GRAFT_GEMM_TILE = tile;
        withWgmmaSetting(setting, () => cudaGemm({ ...args, a: dev(a), b: dev(b), c, precision }));
        expectClose(cudaToArray(c), expected, productTolerance[precision](k), `${kernel} ${precision} transA=${transA}`);
      }
    });
  }

  it('GRAFT_GEMM_TILE: a value other than 128x128, 128x256 or unset is an error naming it', () => {
    process.env.GRAFT_GEMM_TILE = '256x256';
    const args = { m: 2, n: 2, k: 2, a: devZeros(4), b: devZeros(4), c: devZeros(4), precision };
    expect(() => cudaGemm(args)).toThrow(/cudaGemm: GRAFT_GEMM_TILE is '256x256'; expected 128x128, 128x256 or unset/);
  });

  it('GRAFT_GEMM_TILE=128x256 is an error on the mma.sync kernel', () => {
    process.env.GRAFT_GEMM_TILE = '128x256';
    const args = { m: 2, n: 2, k: 2, a: devZeros(4), b: devZeros(4), c: devZeros(4), precision };
    expect(() => withWgmmaSetting('0', () => cudaGemm(args))).toThrow(/GRAFT_GEMM_TILE=128x256 needs the wgmma kernel/);
  });

  it('GRAFT_WGMMA: a value other than 0, 1 or unset is an error naming it', () => {
    const args = { m: 2, n: 2, k: 2, a: devZeros(4), b: devZeros(4), c: devZeros(4), precision };
    expect(() => withWgmmaSetting('yes', () => cudaGemm(args))).toThrow(/cudaGemm: GRAFT_WGMMA is 'yes'; expected 0, 1 or unset/);
  });

  it.skipIf(wgmmaCapable)('GRAFT_WGMMA=1 is an error on a device that cannot run the wgmma kernel', () => {
    const args = { m: 2, n: 2, k: 2, a: devZeros(4), b: devZeros(4), c: devZeros(4), precision };
    expect(() => withWgmmaSetting('1', () => cudaGemm(args))).toThrow(/GRAFT_WGMMA=1 but device 0 cannot run the wgmma kernel/);
  });
});
