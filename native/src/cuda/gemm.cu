// CUDA GEMM: a (M,K) or (K,M), b (K,N) or (N,K), c (M,N), row-major, strided batches (graft/gemm.h).
//   float32: 64x64 block tiles, K in steps of 16 through shared memory, a 4x4 register block per thread.
//   tf32 / bf16: the same tiling on tensor cores (wmma 16x16x8 TF32 or 16x16x16 BF16, compute capability
//   >= 8.0): inputs are rounded to TF32/BF16 as they enter shared memory, products accumulate in float32.
// Transposes are template parameters, so each variant's global loads walk memory contiguously across a warp.
// Edge tiles load zeros outside the matrix and store only inside it. beta == 0 never reads C.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <algorithm>
#include <type_traits>

#include "cuda/cuda_check.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::Float32: return "float32";
    case Precision::Tf32: return "tf32";
    case Precision::Bf16: return "bf16";
  }
  return "?";
}

namespace {

constexpr int kTile = 64;  // block tile, both M and N
constexpr int kStepK = 16;

// op(A)[i, l] and op(B)[l, j] of one batch, zero outside the matrix.
template <bool TA>
__device__ __forceinline__ float load_a(const GemmParams& p, const float* A, int64_t i, int64_t l) {
  if (i >= p.m || l >= p.k) return 0.0f;
  return TA ? A[l * p.lda + i] : A[i * p.lda + l];
}
template <bool TB>
__device__ __forceinline__ float load_b(const GemmParams& p, const float* B, int64_t l, int64_t j) {
  if (l >= p.k || j >= p.n) return 0.0f;
  return TB ? B[j * p.ldb + l] : B[l * p.ldb + j];
}

// Element e of a (rows x cols) tile, ordered so consecutive threads read consecutive addresses:
// along the stored row of the operand (`contiguous_cols` says whether that is the tile's column).
__device__ __forceinline__ void tile_coord(int e, int rows, int cols, bool contiguous_cols, int& r, int& c) {
  if (contiguous_cols) { r = e / cols; c = e % cols; } else { c = e / rows; r = e % rows; }
}

__device__ __forceinline__ void store_c(const GemmParams& p, float* C, int64_t i, int64_t j, float acc) {
  if (i >= p.m || j >= p.n) return;
  float* out = C + i * p.ldc + j;
  *out = p.beta == 0.0f ? p.alpha * acc : p.alpha * acc + p.beta * *out;
}

// ---- float32: CUDA cores ------------------------------------------------------------------------
constexpr int kMicro = 4;                                         // 4x4 outputs per thread
constexpr int kF32Threads = (kTile / kMicro) * (kTile / kMicro);  // 256

template <bool TA, bool TB>
__global__ void __launch_bounds__(kF32Threads) gemm_f32_kernel(GemmParams p, const float* a, const float* b, float* c) {
  __shared__ float As[kStepK][kTile + 4];  // As[l][i] = op(A)[row0+i, k0+l]
  __shared__ float Bs[kStepK][kTile + 4];  // Bs[l][j] = op(B)[k0+l, col0+j]
  const int tid = threadIdx.x, ty = tid / (kTile / kMicro), tx = tid % (kTile / kMicro);
  const int64_t row0 = int64_t(blockIdx.y) * kTile, col0 = int64_t(blockIdx.x) * kTile;
  for (int64_t batch = blockIdx.z; batch < p.batch; batch += gridDim.z) {
    const float* A = a + batch * p.stride_a;
    const float* B = b + batch * p.stride_b;
    float acc[kMicro][kMicro] = {};
    for (int64_t k0 = 0; k0 < p.k; k0 += kStepK) {
      for (int e = tid; e < kTile * kStepK; e += kF32Threads) {
        int i, l, j, lb;
        tile_coord(e, kTile, kStepK, !TA, i, l);   // A stored (M,K): contiguous along l
        tile_coord(e, kStepK, kTile, !TB, lb, j);  // B stored (K,N): contiguous along j
        As[l][i] = load_a<TA>(p, A, row0 + i, k0 + l);
        Bs[lb][j] = load_b<TB>(p, B, k0 + lb, col0 + j);
      }
      __syncthreads();
#pragma unroll
      for (int l = 0; l < kStepK; ++l) {
        float ra[kMicro], rb[kMicro];
#pragma unroll
        for (int u = 0; u < kMicro; ++u) {
          ra[u] = As[l][ty * kMicro + u];
          rb[u] = Bs[l][tx * kMicro + u];
        }
#pragma unroll
        for (int u = 0; u < kMicro; ++u)
#pragma unroll
          for (int v = 0; v < kMicro; ++v) acc[u][v] = fmaf(ra[u], rb[v], acc[u][v]);
      }
      __syncthreads();
    }
    float* C = c + batch * p.stride_c;
    for (int u = 0; u < kMicro; ++u)
      for (int v = 0; v < kMicro; ++v) store_c(p, C, row0 + ty * kMicro + u, col0 + tx * kMicro + v, acc[u][v]);
  }
}

// ---- tf32 / bf16: tensor cores (wmma) -----------------------------------------------------------
// 4 warps in a 2x2 grid, each owning a 32x32 quarter of the tile as 2x2 fragments of 16x16.
constexpr int kTcThreads = 128;

template <typename T> struct TensorCore;
template <> struct TensorCore<float> {  // TF32: operands are stored as float, rounded when loaded
  static constexpr int kK = 8, kPad = 4;
  static __device__ __forceinline__ float to_shared(float x) { return x; }
};
template <> struct TensorCore<__nv_bfloat16> {
  static constexpr int kK = 16, kPad = 8;
  static __device__ __forceinline__ __nv_bfloat16 to_shared(float x) { return __float2bfloat16_rn(x); }
};

template <typename T>
struct TcLayout {
  static constexpr int kLdA = kStepK + TensorCore<T>::kPad;  // As[i][l], row-major (M, K)
  static constexpr int kLdB = kTile + TensorCore<T>::kPad;   // Bs[l][j], row-major (K, N)
  static constexpr int kLdC = kTile + 4;                     // Cs[i][j] float, reuses the same memory
  static constexpr size_t kInputBytes = sizeof(T) * (kTile * kLdA + kStepK * kLdB);
  static constexpr size_t kBytes = std::max(kInputBytes, sizeof(float) * kTile * kLdC);
};

template <bool TA, bool TB, typename T>
__global__ void __launch_bounds__(kTcThreads) gemm_tc_kernel(GemmParams p, const float* a, const float* b, float* c) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  using TC = TensorCore<T>;
  using L = TcLayout<T>;
  // wmma's TF32 type exists only when compiling for compute capability 8.0 or newer.
  using Frag = std::conditional_t<std::is_same_v<T, float>, wmma::precision::tf32, __nv_bfloat16>;
  __shared__ __align__(128) unsigned char smem[L::kBytes];
  T* As = reinterpret_cast<T*>(smem);
  T* Bs = As + kTile * L::kLdA;
  float* Cs = reinterpret_cast<float*>(smem);
  const int tid = threadIdx.x, warp = tid / 32, wm = warp / 2, wn = warp % 2;
  const int64_t row0 = int64_t(blockIdx.y) * kTile, col0 = int64_t(blockIdx.x) * kTile;
  for (int64_t batch = blockIdx.z; batch < p.batch; batch += gridDim.z) {
    const float* A = a + batch * p.stride_a;
    const float* B = b + batch * p.stride_b;
    wmma::fragment<wmma::accumulator, 16, 16, TC::kK, float> acc[2][2];
    for (int u = 0; u < 2; ++u)
      for (int v = 0; v < 2; ++v) wmma::fill_fragment(acc[u][v], 0.0f);
    for (int64_t k0 = 0; k0 < p.k; k0 += kStepK) {
      for (int e = tid; e < kTile * kStepK; e += kTcThreads) {
        int i, l, j, lb;
        tile_coord(e, kTile, kStepK, !TA, i, l);
        tile_coord(e, kStepK, kTile, !TB, lb, j);
        As[i * L::kLdA + l] = TC::to_shared(load_a<TA>(p, A, row0 + i, k0 + l));
        Bs[lb * L::kLdB + j] = TC::to_shared(load_b<TB>(p, B, k0 + lb, col0 + j));
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < kStepK; kk += TC::kK) {
        wmma::fragment<wmma::matrix_a, 16, 16, TC::kK, Frag, wmma::row_major> fa[2];
        wmma::fragment<wmma::matrix_b, 16, 16, TC::kK, Frag, wmma::row_major> fb[2];
        for (int u = 0; u < 2; ++u) {
          wmma::load_matrix_sync(fa[u], As + (wm * 32 + u * 16) * L::kLdA + kk, L::kLdA);
          wmma::load_matrix_sync(fb[u], Bs + kk * L::kLdB + wn * 32 + u * 16, L::kLdB);
          if constexpr (std::is_same_v<T, float>) {
            for (int t = 0; t < fa[u].num_elements; ++t) fa[u].x[t] = wmma::__float_to_tf32(fa[u].x[t]);
            for (int t = 0; t < fb[u].num_elements; ++t) fb[u].x[t] = wmma::__float_to_tf32(fb[u].x[t]);
          }
        }
        for (int u = 0; u < 2; ++u)
          for (int v = 0; v < 2; ++v) wmma::mma_sync(acc[u][v], fa[u], fb[v], acc[u][v]);
      }
      __syncthreads();
    }
    // The input tiles are dead: stage the accumulators through the same shared memory, then store
    // with bounds checks (fragments cannot store a partial tile).
    for (int u = 0; u < 2; ++u)
      for (int v = 0; v < 2; ++v)
        wmma::store_matrix_sync(Cs + (wm * 32 + u * 16) * L::kLdC + wn * 32 + v * 16, acc[u][v], L::kLdC,
                                wmma::mem_row_major);
    __syncthreads();
    float* C = c + batch * p.stride_c;
    for (int e = tid; e < kTile * kTile; e += kTcThreads)
      store_c(p, C, row0 + e / kTile, col0 + e % kTile, Cs[(e / kTile) * L::kLdC + e % kTile]);
    __syncthreads();  // Cs is overwritten by the next batch's tiles
  }
#else
  __trap();  // the host refuses tensor-core precisions below compute capability 8.0
#endif
}

template <bool TA, bool TB>
void launch(const GemmParams& p, const float* a, const float* b, float* c, Precision precision, dim3 grid,
            cudaStream_t stream) {
  if (precision == Precision::Float32) {
    gemm_f32_kernel<TA, TB><<<grid, kF32Threads, 0, stream>>>(p, a, b, c);
    GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", gemm_f32_kernel);
  } else if (precision == Precision::Tf32) {
    gemm_tc_kernel<TA, TB, float><<<grid, kTcThreads, 0, stream>>>(p, a, b, c);
    GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", gemm_tc_kernel<tf32>);
  } else {
    gemm_tc_kernel<TA, TB, __nv_bfloat16><<<grid, kTcThreads, 0, stream>>>(p, a, b, c);
    GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", gemm_tc_kernel<bf16>);
  }
}

}  // namespace

void gemm(const GemmParams& p, const float* a, const float* b, float* c, Precision precision, int device) {
  const char* op = "cudaGemm";
  cudaStream_t stream = stream_for(op, device);
  if (p.m == 0 || p.n == 0 || p.batch == 0) return;
  if (precision != Precision::Float32 && compute_capability(device) < 80)
    throw Error(std::string(op) + ": precision '" + precision_name(precision) +
                "' needs tensor cores of compute capability 8.0 or newer; device " + std::to_string(device) +
                " has " + std::to_string(compute_capability(device) / 10) + "." +
                std::to_string(compute_capability(device) % 10));
  const int64_t tiles_m = (p.m + kTile - 1) / kTile, tiles_n = (p.n + kTile - 1) / kTile;
  if (tiles_m > 65535 || tiles_n > (int64_t(1) << 31) - 1)
    throw Error(std::string(op) + ": m=" + std::to_string(p.m) + " is too large (at most " +
                std::to_string(65535 * kTile) + " rows per launch)");
  const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
                  static_cast<unsigned>(std::min<int64_t>(p.batch, 65535)));
  if (p.trans_a && p.trans_b) launch<true, true>(p, a, b, c, precision, grid, stream);
  else if (p.trans_a) launch<true, false>(p, a, b, c, precision, grid, stream);
  else if (p.trans_b) launch<false, true>(p, a, b, c, precision, grid, stream);
  else launch<false, false>(p, a, b, c, precision, grid, stream);
}

}  // namespace graft::cuda
