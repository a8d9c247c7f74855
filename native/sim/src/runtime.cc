// The CUDA host simulator's runtime (see native/sim/README.md): devices, memory, streams and the
// execution of kernel launches.
//
// Memory: every cudaMalloc is its own mapping whose end touches an inaccessible page, and cudaFree
// unmaps it, so a kernel that reads or writes past the end of a buffer, or uses a freed one, stops the
// process with SIGSEGV instead of passing. New memory is filled with 0xff bytes (a float NaN), so a
// result that depends on memory nobody wrote shows up as NaN.
//
// Launches: blocks run one after another on the calling thread. A block's threads are fibers, run in
// thread order; a fiber runs until it reaches __syncthreads(), a warp-collective operation or its end.
// When no fiber can run, a warp whose live lanes all wait in a collective op is released; otherwise,
// when every live thread waits at __syncthreads(), all are released (threads that have returned count as
// arrived, as on the GPU); anything else is a deadlock and stops the process. Each fiber has its own
// stack, made once with a ucontext and reused by every later block; every switch is a _setjmp/_longjmp
// pair (no system call, where swapcontext makes one to save the signal mask).
#undef _FORTIFY_SOURCE  // the fortified longjmp refuses to jump between stacks
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cuda_runtime.h"

namespace graft_sim {
namespace {

constexpr int kMultiprocessors = 132;            // as an H100 SXM / H200, so per-SM work splits match
constexpr size_t kSharedDefault = 48 * 1024;     // dynamic shared memory without an opt-in
constexpr size_t kSharedOptin = 227 * 1024;      // sm_90's per-block maximum
constexpr size_t kNominalMemory = size_t(80) << 30;
constexpr unsigned int kMaxThreads = 1024;
constexpr size_t kFiberStack = 256 * 1024;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "graft CUDA simulator: %s\n", why.c_str());
  std::fflush(stderr);
  std::abort();
}

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// GRAFT_SIM_ORDER=reverse runs blocks, and the threads of a block between barriers, last first: another
// valid schedule, under which a missing __syncthreads() between a write and another thread's read shows
// up where the default order (first first) hides it, and the other way round.
bool reverse_order() {
  static const bool reverse = [] {
    const char* text = std::getenv("GRAFT_SIM_ORDER");
    return text && std::string(text) == "reverse";
  }();
  return reverse;
}

int device_count() {
  static const int count = [] {
    const char* text = std::getenv("GRAFT_SIM_DEVICES");
    return text && *text ? std::atoi(text) : 1;
  }();
  return count;
}

// ---- state ----

thread_local cudaError_t last_error = cudaSuccess;
thread_local int current_device = 0;

cudaError_t record(cudaError_t status) {
  if (status != cudaSuccess) last_error = status;
  return status;
}

struct Mapping {
  void* base;       // what mmap returned
  size_t length;    // mapped bytes, guard page included
  size_t bytes;     // what cudaMalloc was asked for
};

struct Memory {
  std::mutex mutex;
  std::map<uintptr_t, Mapping> live;  // by the pointer cudaMalloc returned
  std::set<GraftSimStream*> streams;
  std::map<const void*, int> max_dynamic_shared;
};

Memory& memory() {
  static Memory* m = new Memory;
  return *m;
}

// True when [p, p + bytes) lies inside one live allocation (a pointer just past the end counts when
// bytes == 0). Caller holds the mutex.
bool in_device_memory(Memory& m, const void* p, size_t bytes) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  auto it = m.live.upper_bound(address);
  if (it == m.live.begin()) return false;
  --it;
  const uintptr_t end = it->first + it->second.bytes;
  return address <= end && bytes <= end - address;
}

// ---- fibers ----

enum class FiberState { Runnable, AtBarrier, AtWarp, Done };

struct AsyncCopy {
  void* dst;
  const void* src;
  size_t bytes;
};

struct PendingWgmma {
  std::function<void()> run;
  std::vector<size_t> read_chunks;  // the 16-byte chunks of dynamic shared memory it reads (by index)
};

struct Fiber {
  jmp_buf parked;       // waiting to run a thread (fiber_main's loop)
  jmp_buf resume_at;    // where the running thread yielded
  bool started = false; // whether this block's thread has begun
  char* stack = nullptr;
  FiberState state = FiberState::Done;
  unsigned int linear = 0;
  uint3 index{0, 0, 0};
  std::vector<AsyncCopy> open_group;
  std::deque<std::vector<AsyncCopy>> committed;
  std::vector<PendingWgmma> wgmma_open;  // wgmma operations issued since the last commit
  std::deque<std::vector<PendingWgmma>> wgmma_committed;
};

struct Warp {
  const void* deposits[32];
  const void* tags[32];  // which collective each lane is in
  unsigned int live_mask = 0;
  bool pending = false;
};

struct Executor {
  jmp_buf back;           // where the scheduler resumed the running fiber
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  Fiber* current = nullptr;
  void (*body)(void*) = nullptr;
  void* context = nullptr;
  unsigned char* dynamic_shared = nullptr;  // the launch's extern __shared__ bytes, ending at a guard page
  size_t dynamic_shared_bytes = 0;
  std::vector<uint32_t> pending_reads;  // per 16-byte chunk of dynamic shared memory: wgmma reads not yet run
  bool running = false;
  ~Executor() {  // the thread's fiber stacks
    for (Fiber& f : fibers)
      if (f.stack) munmap(f.stack - page_size(), kFiberStack + page_size());
  }
};

thread_local Executor executor;

char* new_stack() {
  const size_t guard = page_size();
  void* p = mmap(nullptr, kFiberStack + guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) fail("could not map a fiber stack");
  mprotect(p, guard, PROT_NONE);  // a stack overflow faults instead of corrupting the next stack
  return static_cast<char*>(p) + guard;
}

// A fiber's whole life: park, run one thread of a block when started, mark it done, park again.
void fiber_main() {
  Executor& e = executor;
  for (;;) {
    if (_setjmp(e.current->parked) == 0) _longjmp(e.back, 1);
    e.body(e.context);
    e.current->state = FiberState::Done;
  }
}

// Gives fiber f its stack and runs it up to its first park.
void make_fiber(Executor& e, Fiber& f) {
  f.stack = new_stack();
  ucontext_t start;
  if (getcontext(&start) != 0) fail("getcontext failed");
  start.uc_stack.ss_sp = f.stack;
  start.uc_stack.ss_size = kFiberStack;
  start.uc_link = nullptr;  // fiber_main never returns
  makecontext(&start, fiber_main, 0);
  e.current = &f;
  ucontext_t from;  // never resumed: the fiber comes back through e.back
  if (_setjmp(e.back) == 0 && swapcontext(&from, &start) != 0) fail("swapcontext failed");
  e.current = nullptr;
}

std::string dims(const dim3& d);

void land_copies(std::vector<AsyncCopy>& group) {
  for (const AsyncCopy& c : group) std::memcpy(c.dst, c.src, c.bytes);
  group.clear();
}

void resume(Executor& e, Fiber& f) {
  e.current = &f;
  threadIdx = f.index;
  if (_setjmp(e.back) == 0) {
    if (f.started) _longjmp(f.resume_at, 1);
    f.started = true;
    _longjmp(f.parked, 1);
  }
  e.current = nullptr;
  if (f.state == FiberState::Done) {  // copies a thread never waited for still land
    for (auto& group : f.committed) land_copies(group);
    f.committed.clear();
    land_copies(f.open_group);
    if (!f.wgmma_open.empty() || !f.wgmma_committed.empty()) {
      f.wgmma_open.clear();
      f.wgmma_committed.clear();
      fail("thread " + dims(dim3(f.index.x, f.index.y, f.index.z)) + " of block " + dims(dim3(blockIdx.x, blockIdx.y, blockIdx.z)) +
           " ended with wgmma operations it never waited for (wgmma.wait_group)");
    }
  }
}

Fiber& running_fiber(const char* what) {
  Executor& e = executor;
  if (!e.current) fail(std::string(what) + " called outside a kernel");
  return *e.current;
}

void yield(FiberState state) {
  Executor& e = executor;
  Fiber& f = running_fiber("a barrier");
  f.state = state;
  if (_setjmp(f.resume_at) == 0) _longjmp(e.back, 1);
}

// Releases whatever can proceed once no fiber is runnable; false when every thread has finished.
bool release_waiting(Executor& e, size_t threads) {
  bool any_live = false, released = false, all_at_barrier = true;
  for (size_t w = 0; w * 32 < threads; ++w) {
    Warp& warp = e.warps[w];
    unsigned int live = 0;
    bool all_at_warp = true;
    for (size_t lane = 0; lane < 32 && w * 32 + lane < threads; ++lane) {
      const FiberState s = e.fibers[w * 32 + lane].state;
      if (s == FiberState::Done) continue;
      any_live = true;
      live |= 1u << lane;
      if (s != FiberState::AtWarp) all_at_warp = false;
      if (s != FiberState::AtBarrier) all_at_barrier = false;
    }
    if (live != 0 && all_at_warp) {
      warp.live_mask = live;
      warp.pending = true;
      for (size_t lane = 0; lane < 32 && w * 32 + lane < threads; ++lane)
        if (live & (1u << lane)) e.fibers[w * 32 + lane].state = FiberState::Runnable;
      released = true;
    }
  }
  if (!any_live || released) return any_live;
  if (!all_at_barrier)
    fail("deadlock in block (" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," +
         std::to_string(blockIdx.z) + "): some threads wait at __syncthreads() while others wait in a "
         "warp-collective operation");
  for (size_t i = 0; i < threads; ++i)
    if (e.fibers[i].state == FiberState::AtBarrier) e.fibers[i].state = FiberState::Runnable;
  return true;
}

void run_block(Executor& e, const dim3& block) {
  const size_t threads = size_t(block.x) * block.y * block.z;
  std::memset(e.dynamic_shared, 0xff, e.dynamic_shared_bytes);  // shared memory starts unwritten in every block
  e.pending_reads.assign((e.dynamic_shared_bytes + 15) / 16, 0);
  e.fibers.reserve(kMaxThreads);  // never reallocated: parked fibers' jmp_bufs stay where they were saved
  if (e.fibers.size() < threads) e.fibers.resize(threads);
  e.warps.resize((threads + 31) / 32);
  for (size_t i = 0; i < threads; ++i) {
    Fiber& f = e.fibers[i];
    if (!f.stack) make_fiber(e, f);
    f.linear = static_cast<unsigned int>(i);
    f.index = uint3{static_cast<unsigned int>(i % block.x), static_cast<unsigned int>((i / block.x) % block.y),
                    static_cast<unsigned int>(i / (size_t(block.x) * block.y))};
    f.state = FiberState::Runnable;
    f.started = false;
  }
  const bool reverse = reverse_order();
  do {
    for (size_t n = 0; n < threads; ++n) {
      Fiber& f = e.fibers[reverse ? threads - 1 - n : n];
      if (f.state == FiberState::Runnable) resume(e, f);
    }
  } while (release_waiting(e, threads));
}

std::string dims(const dim3& d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

}  // namespace

// ---- launches ----

void run_grid(const void* kernel, const LaunchConfig& config, void (*body)(void*), void* context) {
  Executor& e = executor;
  if (e.running) fail("a kernel launched another kernel");
  const dim3 &grid = config.grid, &block = config.block;
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (threads == 0 || threads > kMaxThreads || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535) {
    record(cudaErrorInvalidConfiguration);
    return;
  }
  {
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.mutex);
    if (config.stream && !m.streams.count(config.stream)) {
      record(cudaErrorInvalidResourceHandle);
      return;
    }
    auto it = m.max_dynamic_shared.find(kernel);
    const size_t limit = it == m.max_dynamic_shared.end() ? kSharedDefault : size_t(it->second);
    if (config.shared_bytes > limit) {
      record(cudaErrorInvalidValue);
      return;
    }
  }
  // Dynamic shared memory: 128-byte aligned (as __align__(128) asks), its end against an inaccessible page.
  const size_t page = page_size(), shared_span = round_up(config.shared_bytes, 128);
  const size_t shared_length = round_up(shared_span, page) + page;
  void* shared_base = mmap(nullptr, shared_length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (shared_base == MAP_FAILED) fail("could not map dynamic shared memory");
  unsigned char* shared_guard = static_cast<unsigned char*>(shared_base) + shared_length - page;
  mprotect(shared_guard, page, PROT_NONE);
  e.running = true;
  e.body = body;
  e.context = context;
  e.dynamic_shared = shared_guard - shared_span;
  e.dynamic_shared_bytes = config.shared_bytes;
  blockDim = block;
  gridDim = grid;
  const uint64_t blocks = uint64_t(grid.x) * grid.y * grid.z;
  for (uint64_t n = 0; n < blocks; ++n) {
    const uint64_t b = reverse_order() ? blocks - 1 - n : n;
    blockIdx = uint3{static_cast<unsigned int>(b % grid.x), static_cast<unsigned int>(b / grid.x % grid.y),
                     static_cast<unsigned int>(b / (uint64_t(grid.x) * grid.y))};
    run_block(e, block);
  }
  munmap(shared_base, shared_length);
  e.dynamic_shared = nullptr;
  e.dynamic_shared_bytes = 0;
  e.running = false;
}

unsigned char* dynamic_shared() { return executor.dynamic_shared; }

void sync_threads() { yield(FiberState::AtBarrier); }

void trap(const char* why) {
  fail(std::string(why) + " in block " + dims(dim3(blockIdx.x, blockIdx.y, blockIdx.z)) + ", thread " +
       dims(dim3(threadIdx.x, threadIdx.y, threadIdx.z)));
}

void* const* warp_arrive(const void* tag, const void* lane_data, unsigned int* live_mask, bool* first) {
  Executor& e = executor;
  Fiber& f = running_fiber("a warp-collective operation");
  Warp& warp = e.warps[f.linear / 32];
  warp.deposits[f.linear % 32] = lane_data;
  warp.tags[f.linear % 32] = tag;
  yield(FiberState::AtWarp);
  *live_mask = warp.live_mask;
  *first = warp.pending;
  if (warp.pending)
    for (int lane = 0; lane < 32; ++lane)
      if ((warp.live_mask >> lane & 1u) && warp.tags[lane] != tag)
        trap("the lanes of a warp are in different warp-collective operations");
  warp.pending = false;
  return const_cast<void* const*>(warp.deposits);
}

void async_copy(void* dst, const void* src, size_t bytes) {
  const Executor& e = executor;
  const auto* d = static_cast<const unsigned char*>(dst);
  if (d >= e.dynamic_shared && d < e.dynamic_shared + e.dynamic_shared_bytes)
    for (size_t chunk = size_t(d - e.dynamic_shared) / 16; chunk * 16 < size_t(d - e.dynamic_shared) + bytes; ++chunk)
      if (chunk < e.pending_reads.size() && e.pending_reads[chunk] != 0)
        trap("cp.async overwrites shared memory that a wgmma still in flight reads (wgmma.wait_group for it "
             "and a barrier must come first)");
  running_fiber("cp.async").open_group.push_back(AsyncCopy{dst, src, bytes});
}

void async_commit() {
  Fiber& f = running_fiber("cp.async.commit_group");
  f.committed.push_back(std::move(f.open_group));
  f.open_group.clear();
}

void async_wait(int pending_groups) {
  Fiber& f = running_fiber("cp.async.wait_group");
  while (f.committed.size() > static_cast<size_t>(pending_groups)) {
    land_copies(f.committed.front());
    f.committed.pop_front();
  }
}

void wgmma_defer(std::function<void()> operation, std::vector<size_t> read_chunks) {
  Executor& e = executor;
  for (size_t chunk : read_chunks) ++e.pending_reads.at(chunk);
  running_fiber("wgmma.mma_async").wgmma_open.push_back(PendingWgmma{std::move(operation), std::move(read_chunks)});
}

void wgmma_commit() {
  Fiber& f = running_fiber("wgmma.commit_group");
  f.wgmma_committed.push_back(std::move(f.wgmma_open));
  f.wgmma_open.clear();
}

void wgmma_wait(int pending_groups) {
  Fiber& f = running_fiber("wgmma.wait_group");
  while (f.wgmma_committed.size() > static_cast<size_t>(pending_groups)) {
    for (PendingWgmma& operation : f.wgmma_committed.front()) {
      operation.run();
      for (size_t chunk : operation.read_chunks) --executor.pending_reads[chunk];
    }
    f.wgmma_committed.pop_front();
  }
}

size_t dynamic_shared_bytes() { return executor.dynamic_shared_bytes; }

size_t shared_window_address(const void* ptr) {
  const Executor& e = executor;
  const auto* p = static_cast<const unsigned char*>(ptr);
  if (!e.dynamic_shared || p < e.dynamic_shared || p >= e.dynamic_shared + e.dynamic_shared_bytes)
    trap("__cvta_generic_to_shared: the address is not in the block's dynamic shared memory");
  return kSharedWindowStart + size_t(p - e.dynamic_shared);
}

unsigned char* shared_window_byte(size_t address) {
  const Executor& e = executor;
  if (address < kSharedWindowStart || address - kSharedWindowStart >= e.dynamic_shared_bytes)
    trap("a shared-memory address outside the block's dynamic shared memory");
  return e.dynamic_shared + (address - kSharedWindowStart);
}

cudaError_t set_function_attribute(const void* kernel, cudaFuncAttribute attr, int value) {
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || size_t(value) > kSharedOptin)
    return record(cudaErrorInvalidValue);
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  m.max_dynamic_shared[kernel] = value;
  return cudaSuccess;
}

void require_device_pointer(const void* pointer, int index) {
  if (!pointer) return;
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  if (!in_device_memory(m, pointer, 0))
    fail("kernel argument " + std::to_string(index) + " is a pointer outside every device allocation");
}

}  // namespace graft_sim

using graft_sim::record;

// ---- runtime API ----

cudaError_t cudaGetDeviceCount(int* count) {
  *count = graft_sim::device_count();
  return *count > 0 ? cudaSuccess : record(cudaErrorNoDevice);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= graft_sim::device_count()) return record(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "Graft CUDA simulator");
  prop->totalGlobalMem = graft_sim::kNominalMemory;
  prop->sharedMemPerBlock = graft_sim::kSharedDefault;
  prop->sharedMemPerBlockOptin = graft_sim::kSharedOptin;
  prop->maxThreadsPerBlock = graft_sim::kMaxThreads;
  prop->multiProcessorCount = graft_sim::kMultiprocessors;
  prop->major = 9;
  prop->minor = 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (device < 0 || device >= graft_sim::device_count()) return record(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = graft_sim::kMaxThreads; return cudaSuccess;
    case cudaDevAttrMultiProcessorCount: *value = graft_sim::kMultiprocessors; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = int(graft_sim::kSharedOptin); return cudaSuccess;
  }
  return record(cudaErrorInvalidValue);
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= graft_sim::device_count()) return record(cudaErrorInvalidDevice);
  graft_sim::current_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = graft_sim::current_device;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t status = graft_sim::last_error;
  graft_sim::last_error = cudaSuccess;
  return status;
}

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
  }
  return "unknown error";
}

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  using namespace graft_sim;
  if (bytes > kNominalMemory) return record(cudaErrorMemoryAllocation);
  const size_t page = page_size(), used = round_up(bytes == 0 ? 1 : bytes, 256);
  const size_t length = round_up(used, page) + page;
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return record(cudaErrorMemoryAllocation);
  char* guard = static_cast<char*>(base) + length - page;
  mprotect(guard, page, PROT_NONE);
  char* data = guard - used;  // 256-byte aligned, as cudaMalloc's pointers are
  std::memset(data, 0xff, used);
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  m.live[reinterpret_cast<uintptr_t>(data)] = Mapping{base, length, bytes};
  *ptr = data;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  using namespace graft_sim;
  if (!ptr) return cudaSuccess;
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  auto it = m.live.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == m.live.end()) return record(cudaErrorInvalidValue);
  munmap(it->second.base, it->second.length);  // later use of the pointer faults
  m.live.erase(it);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  using namespace graft_sim;
  Memory& m = memory();
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    if (stream && !m.streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
    const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToHost && kind != cudaMemcpyDeviceToDevice)
      return record(cudaErrorInvalidMemcpyDirection);
    if (bytes > 0 && ((dst_device && !in_device_memory(m, dst, bytes)) || (src_device && !in_device_memory(m, src, bytes))))
      return record(cudaErrorInvalidValue);
    if (bytes > 0 && ((!dst_device && in_device_memory(m, dst, 0)) || (!src_device && in_device_memory(m, src, 0))))
      return record(cudaErrorInvalidValue);
  }
  if (bytes > 0) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
  graft_sim::Memory& m = graft_sim::memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  *stream = reinterpret_cast<cudaStream_t>(new char(0));
  m.streams.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  graft_sim::Memory& m = graft_sim::memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  return stream && !m.streams.count(stream) ? record(cudaErrorInvalidResourceHandle) : cudaSuccess;
}

