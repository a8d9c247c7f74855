// The CUDA host simulator's stand-in for <cuda_runtime.h> (see native/sim/README.md).
//
// src/cuda/*.cu compile against this header with the host C++ compiler after native/sim/translate.mjs
// has turned each `kernel<<<grid, block, shared, stream>>>(args)` into a graft_sim::launch call. A launch
// runs the grid on the calling thread, one block after another; a block's threads are fibers that
// switch only at __syncthreads() and at warp-collective operations, so the kernels' own index
// arithmetic, shared-memory tiling, barriers and bounds run as written, against host memory.
//
// What the simulator does not reproduce: the GPU's float rounding where nvcc contracts a*b+c into an
// FMA, CUDA's math-library results (expf, tanhf, ... are the host's), warp scheduling and timing.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#define GRAFT_CUDA_SIM 1

// Execution-space and launch qualifiers mean nothing on the host.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// A block's shared memory: one static object per declaration, which is enough because blocks run one
// at a time and every thread of the running block sees the same object.
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
  float x, y;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

// The running thread's coordinates, set by the simulator before it resumes a fiber.
inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};

// ---- runtime API: the subset src/cuda uses ----------------------------------------------------------

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
constexpr unsigned int cudaStreamNonBlocking = 0x01;

struct GraftSimStream;
using cudaStream_t = GraftSimStream*;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  size_t sharedMemPerBlockOptin;
  int maxThreadsPerBlock;
  int multiProcessorCount;
  int major;
  int minor;
};

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaRuntimeGetVersion(int* version);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetLastError();
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

namespace graft_sim {
cudaError_t set_function_attribute(const void* kernel, cudaFuncAttribute attr, int value);
}
template <typename Kernel>
cudaError_t cudaFuncSetAttribute(Kernel* kernel, cudaFuncAttribute attr, int value) {
  return graft_sim::set_function_attribute(reinterpret_cast<const void*>(kernel), attr, value);
}

// ---- kernel launches ---------------------------------------------------------------------------------

namespace graft_sim {

struct LaunchConfig {
  dim3 grid, block;
  size_t shared_bytes;
  cudaStream_t stream;
  LaunchConfig(dim3 grid_, dim3 block_, size_t shared_ = 0, cudaStream_t stream_ = nullptr)
      : grid(grid_), block(block_), shared_bytes(shared_), stream(stream_) {}
};

// Runs body(context) once per thread of every block of the grid (or records a launch error).
void run_grid(const void* kernel, const LaunchConfig& config, void (*body)(void*), void* context);

// Stops the process when a pointer argument of a kernel (argument `index`, from 0) is neither null nor
// inside a device allocation: a host pointer passed to a kernel.
void require_device_pointer(const void* pointer, int index);

template <typename T>
void check_argument(const T& value, int index) {
  if constexpr (std::is_pointer_v<T>) require_device_pointer(static_cast<const void*>(value), index);
}

template <typename Tuple, size_t... I>
void check_arguments(const Tuple& params, std::index_sequence<I...>) {
  (check_argument(std::get<I>(params), static_cast<int>(I)), ...);
}

// kernel<<<config>>>(args...): the arguments are converted to the parameter types once, as CUDA copies
// them at launch, and every thread gets its own copy of those values.
template <typename... Params, typename... Args>
void launch(const LaunchConfig& config, void (*kernel)(Params...), Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  struct Call {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> params;
  } call{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  check_arguments(call.params, std::index_sequence_for<Params...>{});
  run_grid(reinterpret_cast<const void*>(kernel), config,
           [](void* context) {
             auto* c = static_cast<Call*>(context);
             std::apply(c->kernel, c->params);
           },
           &call);
}

// The running block's dynamic shared memory (extern __shared__) and its size in bytes.
unsigned char* dynamic_shared();
size_t dynamic_shared_bytes();
// __cvta_generic_to_shared: the window address of `ptr`, which must point into the dynamic shared memory;
// shared_window_byte is its inverse.
constexpr size_t kSharedWindowStart = 0x480;
size_t shared_window_address(const void* ptr);
unsigned char* shared_window_byte(size_t address);

void sync_threads();
[[noreturn]] void trap(const char* why);

// Warp-collective operations: every live lane deposits `lane_data` and waits; once all have arrived,
// the first lane to resume runs `collective(lanes, live)` over the 32 deposits (lane order) for all.
// `tag` names the operation, so that lanes waiting in different ones are caught instead of mixed.
void* const* warp_arrive(const void* tag, const void* lane_data, unsigned int* live_mask, bool* first);
template <typename Lane, typename Collective>
void warp_collective(const Lane* mine, Collective collective) {
  static const char tag = 0;  // one per instantiation: per kind of collective
  unsigned int live = 0;
  bool first = false;
  void* const* deposits = warp_arrive(&tag, mine, &live, &first);
  if (first) collective(reinterpret_cast<const Lane* const*>(deposits), live);
}

// cp.async emulation: copies are queued per thread and land at wait_group, as late as PTX allows.
void async_copy(void* dst, const void* src, size_t bytes);
void async_commit();
void async_wait(int pending_groups);

// wgmma emulation (graft_sim_wgmma.h): each thread's operations are queued and run, in issue order, at
// the wgmma.wait_group that retires their group, as late as PTX allows: shared memory is read then, and
// the accumulators written then. Until then the 16-byte chunks an operation reads (read_chunks: indices
// into dynamic shared memory) count as in flight, and a cp.async into one of them traps: on a GPU the
// copy could land before the tensor cores read.
void wgmma_defer(std::function<void()> operation, std::vector<size_t> read_chunks);
void wgmma_commit();
void wgmma_wait(int pending_groups);

}  // namespace graft_sim

inline void __syncthreads() { graft_sim::sync_threads(); }

// shfl.sync.bfly: lane l receives `value` from lane l ^ lane_mask. As the kernels use it: all 32 lanes
// live and named in `mask`, width 32 (anything else traps rather than guess at undefined behaviour).
template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T value, int lane_mask, int width = 32) {
  static_assert(std::is_arithmetic<T>::value, "__shfl_xor_sync takes an arithmetic value");
  struct Lane {
    T value;
    T* out;
    unsigned int mask;
    int lane_mask, width;
  };
  T result{};
  const Lane mine{value, &result, mask, lane_mask, width};
  graft_sim::warp_collective(&mine, [](const Lane* const* lanes, unsigned int live) {
    for (int l = 0; l < 32; ++l) {
      if (!((live >> l) & 1u)) continue;
      const Lane& lane = *lanes[l];
      if (lane.mask != 0xffffffffu || live != 0xffffffffu)
        graft_sim::trap("__shfl_xor_sync: the simulator supports only a full warp with mask 0xffffffff");
      if (lane.width != 32 || lane.lane_mask < 0 || lane.lane_mask > 31)
        graft_sim::trap("__shfl_xor_sync: width must be 32 and lane_mask in [0, 31]");
      *lane.out = lanes[l ^ lane.lane_mask]->value;
    }
  });
  return result;
}
[[noreturn]] inline void __trap() { graft_sim::trap("__trap() was called"); }

// ---- device intrinsics -------------------------------------------------------------------------------
// The simulator is compiled with -ffp-contract=off, so each of these rounds once, as on the GPU.

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
  return static_cast<unsigned int>((static_cast<uint64_t>(a) * b) >> 32);
}

template <typename To, typename From>
inline To graft_sim_bits(From from) {
  static_assert(sizeof(To) == sizeof(From), "bit cast between types of different sizes");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}
inline float __uint_as_float(unsigned int x) { return graft_sim_bits<float>(x); }
inline float __int_as_float(int x) { return graft_sim_bits<float>(x); }
inline unsigned int __float_as_uint(float x) { return graft_sim_bits<unsigned int>(x); }
inline double __longlong_as_double(long long x) { return graft_sim_bits<double>(x); }
// The shared-window address of a byte of the running block's dynamic shared memory (the only shared
// memory the kernels take addresses of). The simulated window puts dynamic shared memory at 0x480: on a
// 128-byte boundary, as `extern __shared__ __align__(128)` asks, but not on a 1024-byte one, since nothing
// promises that on a GPU; code that needs more alignment must make it (wgmma::align_shared).
inline size_t __cvta_generic_to_shared(const void* ptr) { return graft_sim::shared_window_address(ptr); }

// Blocks run one at a time and fibers switch only at barriers, so a read-modify-write is atomic.
template <typename T>
inline T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}

// CUDA declares the classification functions in the global namespace.
using std::isfinite;
using std::isinf;
using std::isnan;
using std::signbit;

// CUDA's device min/max overloads for the integer and floating types the kernels mix.
#define GRAFT_SIM_MIN_MAX(T)                            \
  inline T min(T a, T b) { return b < a ? b : a; }     \
  inline T max(T a, T b) { return a < b ? b : a; }
GRAFT_SIM_MIN_MAX(int)
GRAFT_SIM_MIN_MAX(unsigned int)
GRAFT_SIM_MIN_MAX(long)
GRAFT_SIM_MIN_MAX(unsigned long)
GRAFT_SIM_MIN_MAX(long long)
GRAFT_SIM_MIN_MAX(unsigned long long)
GRAFT_SIM_MIN_MAX(float)
GRAFT_SIM_MIN_MAX(double)
#undef GRAFT_SIM_MIN_MAX
