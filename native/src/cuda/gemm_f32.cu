// float32 GEMM on CUDA cores: a (M,K) or (K,M), b (K,N) or (N,K), c (M,N), row-major, strided batches
// (graft/gemm.h).
//   Block tile 128x128, K in steps of 8; 256 threads, each owning an 8x8 block of C made of four 4x4
//   quadrants 64 rows/columns apart, so a warp's shared-memory reads are float4s over distinct banks.
//   op(A) is stored transposed in shared memory (As[k][i]) so both operands are read as float4 along the
//   output's rows and columns. Shared memory is double-buffered: the next K step is fetched into
//   registers while the current one is multiplied, one barrier per step.
//   Global loads are float4 when every row start is 16-byte aligned (VEC); a chunk that crosses the
//   matrix edge, or any chunk without VEC, is loaded element by element with zeros outside.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/gemm_tiles.cuh"

namespace graft::cuda {

namespace {

constexpr int kBM = 128, kBN = 128, kBK = 8, kThreads = 256;
constexpr int kLdS = kBM + 4;

#ifndef GRAFT_GEMM_F32_MIN_BLOCKS
#define GRAFT_GEMM_F32_MIN_BLOCKS 1  // 2 would cap registers at 128 and spill the 8x8 block
#endif  // row pitch of As/Bs: transposed stores spread over all banks

// One operand's share of each K step: a float4 per thread, in the operand's stored layout. When the
// stored rows run along K (A not transposed, B transposed), thread t reads tile row t/2 at K offset
// (t%2)*4, and K moves along the row; otherwise it reads K row t/32 at offset (t%32)*4 along M or N,
// and K moves down the rows. The pointer advances by one K step at a time.
template <bool K_CONTIGUOUS, bool VEC>
struct Fetcher {
  const float* ptr;
  int64_t step;      // elements between K steps
  int64_t moving;    // K index of this thread's first element
  int64_t fixed;     // M/N index of this thread's (first) element
  int64_t k, extent; // K and M/N bounds

  __device__ Fetcher(const float* base, int64_t ld, int64_t origin, int64_t extent_, int64_t k_, int tid)
      : k(k_), extent(extent_) {
    moving = K_CONTIGUOUS ? (tid % 2) * 4 : tid / 32;
    fixed = origin + (K_CONTIGUOUS ? tid / 2 : (tid % 32) * 4);
    ptr = K_CONTIGUOUS ? base + fixed * ld + moving : base + moving * ld + fixed;
    step = K_CONTIGUOUS ? kBK : kBK * ld;
  }
  // Loads the current K step (zeros outside the matrix) and moves to the next.
  __device__ __forceinline__ float4 next() {
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    const bool line_ok = K_CONTIGUOUS ? fixed < extent : moving < k;   // the stored row exists
    const int64_t along = K_CONTIGUOUS ? moving : fixed, end = K_CONTIGUOUS ? k : extent;
    if (line_ok) {
      if (VEC && along + 3 < end) {
        v = *reinterpret_cast<const float4*>(ptr);
      } else {
        if (along < end) v.x = ptr[0];
        if (along + 1 < end) v.y = ptr[1];
        if (along + 2 < end) v.z = ptr[2];
        if (along + 3 < end) v.w = ptr[3];
      }
    }
    ptr += step;
    moving += kBK;
    return v;
  }
};

// Writes a fetched float4 into S[k][i] (the tile's K index first).
template <bool K_CONTIGUOUS>
__device__ __forceinline__ void stash(float (*S)[kLdS], float4 v, int tid) {
  if (K_CONTIGUOUS) {
    const int i = tid / 2, k = (tid % 2) * 4;
    S[k][i] = v.x, S[k + 1][i] = v.y, S[k + 2][i] = v.z, S[k + 3][i] = v.w;
  } else {
    *reinterpret_cast<float4*>(&S[tid / 32][(tid % 32) * 4]) = v;
  }
}

// Row i of the thread's 8x8 block, 4 columns starting at j (inside C's bounds checked here).
template <bool VEC>
__device__ __forceinline__ void store4(const GemmParams& p, float* C, int64_t i, int64_t j, const float* acc) {
  if (i >= p.m) return;
  float* out = C + i * p.ldc + j;
  if (VEC && j + 3 < p.n) {
    float4 v = make_float4(p.alpha * acc[0], p.alpha * acc[1], p.alpha * acc[2], p.alpha * acc[3]);
    if (p.beta != 0.0f) {
      const float4 old = *reinterpret_cast<const float4*>(out);
      v.x += p.beta * old.x, v.y += p.beta * old.y, v.z += p.beta * old.z, v.w += p.beta * old.w;
    }
    *reinterpret_cast<float4*>(out) = v;
    return;
  }
  for (int v = 0; v < 4; ++v)
    if (j + v < p.n) out[v] = p.beta == 0.0f ? p.alpha * acc[v] : p.alpha * acc[v] + p.beta * out[v];
}

template <bool TA, bool TB, bool VEC>
__global__ void __launch_bounds__(kThreads, GRAFT_GEMM_F32_MIN_BLOCKS) gemm_f32_kernel(GemmParams p, const float* a, const float* b, float* c) {
  __shared__ __align__(16) float As[2][kBK][kLdS];  // As[s][l][i] = op(A)[row0+i, k0+l]
  __shared__ __align__(16) float Bs[2][kBK][kLdS];  // Bs[s][l][j] = op(B)[k0+l, col0+j]
  const int tid = threadIdx.x, ty = tid / 16, tx = tid % 16;
  const int64_t row0 = int64_t(blockIdx.y) * kBM, col0 = int64_t(blockIdx.x) * kBN;
  for (int64_t batch = blockIdx.z; batch < p.batch; batch += gridDim.z) {
    const float* A = a + batch * p.stride_a;
    const float* B = b + batch * p.stride_b;
    float acc[8][8] = {};
    Fetcher<!TA, VEC> fetch_a(A, p.lda, row0, p.m, p.k, tid);
    Fetcher<TB, VEC> fetch_b(B, p.ldb, col0, p.n, p.k, tid);
    float4 ra = fetch_a.next(), rb = fetch_b.next();
    stash<!TA>(As[0], ra, tid);
    stash<TB>(Bs[0], rb, tid);
    __syncthreads();
    int s = 0;
    for (int64_t k0 = 0; k0 < p.k; k0 += kBK) {
      const bool more = k0 + kBK < p.k;
      if (more) {  // in flight while this step multiplies
        ra = fetch_a.next();
        rb = fetch_b.next();
      }
#pragma unroll
      for (int l = 0; l < kBK; ++l) {
        float fa[8], fb[8];
        const auto unpack = [](float* to, const float* from) {  // one 16-byte shared load
          const float4 v = *reinterpret_cast<const float4*>(from);
          to[0] = v.x, to[1] = v.y, to[2] = v.z, to[3] = v.w;
        };
        unpack(fa, &As[s][l][ty * 4]);
        unpack(fa + 4, &As[s][l][64 + ty * 4]);
        unpack(fb, &Bs[s][l][tx * 4]);
        unpack(fb + 4, &Bs[s][l][64 + tx * 4]);
#pragma unroll
        for (int u = 0; u < 8; ++u)
#pragma unroll
          for (int v = 0; v < 8; ++v) acc[u][v] = fmaf(fa[u], fb[v], acc[u][v]);
      }
      if (more) {  // the other buffer was last read before the previous barrier
        stash<!TA>(As[s ^ 1], ra, tid);
        stash<TB>(Bs[s ^ 1], rb, tid);
      }
      __syncthreads();
      s ^= 1;
    }
    float* C = c + batch * p.stride_c;
#pragma unroll
    for (int u = 0; u < 8; ++u) {
      const int64_t i = row0 + (u < 4 ? ty * 4 + u : 64 + ty * 4 + u - 4);
      store4<VEC>(p, C, i, col0 + tx * 4, acc[u]);
      store4<VEC>(p, C, i, col0 + 64 + tx * 4, acc[u] + 4);
    }
  }
}

bool aligned16(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }

template <bool TA, bool TB>
void launch(const GemmParams& p, const float* a, const float* b, float* c, bool vec, dim3 grid, cudaStream_t stream) {
  if (vec) {
    gemm_f32_kernel<TA, TB, true><<<grid, kThreads, 0, stream>>>(p, a, b, c);
  } else {
    gemm_f32_kernel<TA, TB, false><<<grid, kThreads, 0, stream>>>(p, a, b, c);
  }
  GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", gemm_f32_kernel);
}

}  // namespace

void gemm_f32(const GemmParams& p, const float* a, const float* b, float* c, cudaStream_t stream) {
  // float4 access needs every row (and batch) of A, B and C to start on a 16-byte boundary.
  const bool vec = aligned16(a) && aligned16(b) && aligned16(c) && p.lda % 4 == 0 && p.ldb % 4 == 0 &&
                   p.ldc % 4 == 0 && (p.batch == 1 || (p.stride_a % 4 == 0 && p.stride_b % 4 == 0 && p.stride_c % 4 == 0));
  const int64_t tiles_m = (p.m + kBM - 1) / kBM, tiles_n = (p.n + kBN - 1) / kBN;
  if (tiles_m > 65535 || tiles_n > (int64_t(1) << 31) - 1)
    throw Error("cudaGemm: m=" + std::to_string(p.m) + " is too large (at most " + std::to_string(65535 * kBM) +
                " rows per launch)");
  const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
                  static_cast<unsigned>(p.batch < 65535 ? p.batch : 65535));
  if (p.trans_a && p.trans_b) launch<true, true>(p, a, b, c, vec, grid, stream);
  else if (p.trans_a) launch<true, false>(p, a, b, c, vec, grid, stream);
  else if (p.trans_b) launch<false, true>(p, a, b, c, vec, grid, stream);
  else launch<false, false>(p, a, b, c, vec, grid, stream);
}

}  // namespace graft::cuda
