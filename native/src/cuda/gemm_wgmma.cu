// TF32 / BF16 GEMM on Hopper's warpgroup tensor-core instructions (wgmma, sm_90a): the multiply of
// gemm_mma.cu's packed operands, chosen on compute capability 9.0 where this build has sm_90a code.
//   - 128x128 or 128x256 block tiles (gemm_tile_cols), 256 threads = 2 warpgroups; warpgroup w computes
//     rows 64w..64w+63 of the tile with one m64n128 or m64n256 wgmma per 32 bytes of K (k8 TF32, k16
//     BF16), accumulators in registers (64 or 128 floats per thread), both operands read by the tensor
//     cores straight from shared memory.
//   - K in steps of 128 bytes through a ring of 5 (4 for 128x256) shared stages filled by cp.async, in the
//     same 128-byte-swizzled rows as the mma.sync kernel, which are the layout wgmma's 128-byte swizzle
//     mode reads when a stage starts on a 1024-byte boundary.
//   - One barrier per K step: the loads for step kt + stages - 2 go into the stage of step kt - 2, whose
//     wgmmas every warpgroup has waited for (wait_group 1 at the end of step kt - 1) before that barrier;
//     step kt's wgmmas run while the next step's barrier and loads are issued.
// This file is compiled for sm_90a in place of sm_90 (native/CMakeLists.txt); for any other target its
// kernel is a trap that is never launched, because the probe kernel reports which code the device runs.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/gemm_mma.cuh"
#include "cuda/gemm_tiles.cuh"
#include "cuda/wgmma.cuh"

#if defined(GRAFT_CUDA_SIM) || defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define GRAFT_WGMMA_CODE 1
#else
#define GRAFT_WGMMA_CODE 0
#endif

namespace graft::cuda::mma {
namespace {

// Shared memory per tile width: the ring of stages (A 128 rows, B BN rows, 128 bytes each), and room to
// align it. 128x128: 5 stages, 160 KB; 128x256: 4 stages, 192 KB (of 227); one block per SM either way.
template <int BN>
struct Ring {
  static constexpr int kStages = BN == 128 ? 5 : 4;
  static_assert(kStages >= 3, "the ring refills the stage of step kt - 2: it needs at least 3 stages");
  static constexpr int kStageBytes = (kBM + BN) * kRowBytes;  // A's rows, then B's
  static constexpr int kAlign = 1024;  // the 128-byte swizzle's period: 8 rows of 128 bytes
  static constexpr int kSharedBytes = kStages * kStageBytes + kAlign;
};

// 1 where the kernel below is the wgmma one (sm_90a code, or the simulator), 0 in every other build.
__global__ void wgmma_probe_kernel(int* out) { *out = GRAFT_WGMMA_CODE; }

#if GRAFT_WGMMA_CODE
// The 4 wgmmas of one 128-byte K step: A is the warpgroup's 64 rows of stage sa, B all BN rows of sb;
// each wgmma takes the next 32 bytes of K.
template <bool BF16, int BN>
__device__ __forceinline__ void multiply_stage(float (&acc)[BN / 2], const unsigned char* sa, const unsigned char* sb,
                                               int warpgroup) {
  const unsigned char* a_rows = sa + warpgroup * 64 * kRowBytes;
#pragma unroll
  for (int ks = 0; ks < 4; ++ks) {
    const uint64_t desc_a = wgmma::descriptor<wgmma::Swizzle::k128>(a_rows + ks * 32);
    const uint64_t desc_b = wgmma::descriptor<wgmma::Swizzle::k128>(sb + ks * 32);
    wgmma::Mma<BN, BF16>::run(acc, desc_a, desc_b);
  }
}
#endif

template <bool BF16, int BN>
__global__ void __launch_bounds__(kThreads, 1) gemm_wgmma_kernel(MmaArgs args, GemmParams p, float* c) {
#if GRAFT_WGMMA_CODE
  using R = Ring<BN>;
  constexpr int kLookahead = R::kStages - 2;  // K steps loaded ahead of the one being multiplied
  extern __shared__ __align__(128) unsigned char smem_raw[];
  unsigned char* smem = wgmma::align_shared(smem_raw, R::kAlign);
  auto stage_a = [&](int64_t step) { return smem + (step % R::kStages) * R::kStageBytes; };
  auto stage_b = [&](int64_t step) { return stage_a(step) + kBM * kRowBytes; };
  const int tid = threadIdx.x, warpgroup = tid / 128, lane = tid % 32;
  const TileIndex tile = block_tile(args, blockIdx.x);
  const int64_t steps = args.kp_bytes / kRowBytes;
  for (int64_t batch = blockIdx.y; batch < args.batch; batch += gridDim.y) {
    const int64_t chunk = thread_chunk(args.kp_bytes, tid);
    const auto* ga = static_cast<const unsigned char*>(args.ap) + batch * args.stride_ap_bytes +
                     int64_t(tile.m) * kBM * args.kp_bytes + chunk;
    const auto* gb = static_cast<const unsigned char*>(args.bp) + batch * args.stride_bp_bytes +
                     int64_t(tile.n) * BN * args.kp_bytes + chunk;
    const auto load = [&](int64_t step) {
      load_rows<kBM>(stage_a(step), ga, args.kp_bytes, step, tid);
      load_rows<BN>(stage_b(step), gb, args.kp_bytes, step, tid);
    };
    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; ++i) acc[i] = 0.0f;
#pragma unroll
    for (int s = 0; s < kLookahead; ++s) {
      if (s < steps) load(s);
      tiles::cp_async_commit();
    }
    for (int64_t kt = 0; kt < steps; ++kt) {
      tiles::cp_async_wait<kLookahead - 1>();  // this thread's copies of step kt have landed
      wgmma::fence_proxy_async();
      __syncthreads();  // everyone's have; every warpgroup is done with step kt - 2's stage
      if (kt + kLookahead < steps) load(kt + kLookahead);
      tiles::cp_async_commit();
      wgmma::fence_operands(acc);
      wgmma::fence();
      multiply_stage<BF16, BN>(acc, stage_a(kt), stage_b(kt), warpgroup);
      wgmma::commit_group();
      wgmma::wait_group<1>();  // step kt - 1's wgmmas are done
      wgmma::fence_operands(acc);
    }
    wgmma::wait_group<0>();
    wgmma::fence_operands(acc);
    tiles::cp_async_wait<0>();
    __syncthreads();  // the next batch refills the first stages
    // Thread t holds acc[i] at row 16*(warp in warpgroup) + lane/4 + 8*((i/2)%2), column 8*(i/4) + 2*(lane%4) + i%2.
    float* C = c + batch * p.stride_c;
    const int64_t row0 = int64_t(tile.m) * kBM + warpgroup * 64 + (tid % 128) / 32 * 16 + lane / 4;
    const int64_t col0 = int64_t(tile.n) * BN + 2 * (lane % 4);
#pragma unroll
    for (int i = 0; i < BN / 2; ++i) store_c(p, C, row0 + 8 * ((i / 2) % 2), col0 + 8 * (i / 4) + i % 2, acc[i]);
  }
#else
  __trap();  // never launched: wgmma_chosen is false where the device runs this code
#endif
}

// Whether `device` runs the wgmma kernel: compute capability 9.0 (sm_90a code runs on nothing else) and
// the probe's answer, asked once per device.
bool device_runs_wgmma(const char* op, int device) {
  static std::mutex mutex;
  static std::map<int, bool> known;
  std::lock_guard<std::mutex> lock(mutex);
  const auto it = known.find(device);
  if (it != known.end()) return it->second;
  bool runs = false;
  if (compute_capability(device) == 90) {
    cudaStream_t stream = stream_for(op, device);
    const DeviceScratch<int> flag(op, 1, device);
    wgmma_probe_kernel<<<1, 1, 0, stream>>>(flag.get());
    GRAFT_CUDA_CHECK_LAUNCH(op, wgmma_probe_kernel);
    int value = 0;
    GRAFT_CUDA_CHECK(op, cudaMemcpyAsync(&value, flag.get(), sizeof(int), cudaMemcpyDeviceToHost, stream));
    GRAFT_CUDA_CHECK(op, cudaStreamSynchronize(stream));
    runs = value == 1;
  }
  known[device] = runs;
  return runs;
}

}  // namespace

bool wgmma_chosen(const char* op, int device) {
  const char* setting = std::getenv("GRAFT_WGMMA");
  if (setting == nullptr || setting[0] == '\0') return device_runs_wgmma(op, device);
  if (std::strcmp(setting, "0") == 0) return false;
  if (std::strcmp(setting, "1") != 0)
    throw Error(std::string(op) + ": GRAFT_WGMMA is '" + setting + "'; expected 0, 1 or unset");
  if (!device_runs_wgmma(op, device))
    throw Error(std::string(op) + ": GRAFT_WGMMA=1 but device " + std::to_string(device) +
                " cannot run the wgmma kernel (it needs compute capability 9.0 and a build with sm_90a code; "
                "the device has " + std::to_string(compute_capability(device) / 10) + "." +
                std::to_string(compute_capability(device) % 10) + ")");
  return true;
}

int gemm_tile_cols(const char* op, int device, bool wgmma, int64_t m, int64_t n, int64_t batch) {
  const char* setting = std::getenv("GRAFT_GEMM_TILE");
  if (setting != nullptr && setting[0] != '\0') {
    if (std::strcmp(setting, "128x128") == 0) return 128;
    if (std::strcmp(setting, "128x256") != 0)
      throw Error(std::string(op) + ": GRAFT_GEMM_TILE is '" + setting + "'; expected 128x128, 128x256 or unset");
    if (!wgmma)
      throw Error(std::string(op) + ": GRAFT_GEMM_TILE=128x256 needs the wgmma kernel (compute capability 9.0 with sm_90a "
                  "code, and GRAFT_WGMMA not 0); the mma.sync kernel has 128x128 tiles only");
    return 256;
  }
  if (!wgmma) return 128;
  int sms = 0;
  GRAFT_CUDA_CHECK(op, cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int64_t wide_tiles = (m + kBM - 1) / kBM * ((n + 255) / 256) * batch;
  return n > 128 && wide_tiles >= sms ? 256 : 128;
}

namespace {

template <bool BF16, int BN>
void launch_wgmma(const MmaArgs& args, const GemmParams& p, float* c, int device, cudaStream_t stream) {
  constexpr int bytes = Ring<BN>::kSharedBytes;
  allow_dynamic_shared_memory("cudaGemm", reinterpret_cast<const void*>(gemm_wgmma_kernel<BF16, BN>), bytes, device);
  const dim3 grid(static_cast<unsigned>(args.tiles_m * args.tiles_n),
                  static_cast<unsigned>(std::min<int64_t>(args.batch, 65535)));
  gemm_wgmma_kernel<BF16, BN><<<grid, kThreads, bytes, stream>>>(args, p, c);
  GRAFT_CUDA_CHECK_LAUNCH("cudaGemm", gemm_wgmma_kernel);
}

}  // namespace

template <bool BF16>
void multiply_wgmma(const MmaArgs& args, int tile_cols, const GemmParams& p, float* c, int device, cudaStream_t stream) {
  if (tile_cols == 256) launch_wgmma<BF16, 256>(args, p, c, device, stream);
  else launch_wgmma<BF16, 128>(args, p, c, device, stream);
}

template void multiply_wgmma<false>(const MmaArgs&, int, const GemmParams&, float*, int, cudaStream_t);
template void multiply_wgmma<true>(const MmaArgs&, int, const GemmParams&, float*, int, cudaStream_t);

}  // namespace graft::cuda::mma
