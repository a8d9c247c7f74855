// Graft runtime: errors, the CPU thread pool, instruction-set choice and aligned memory.
// Plain C++: nothing here knows about N-API, so kernels and tools can use it anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace graft {

// Every error a kernel or the runtime raises. The binding turns it into a JavaScript Error.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// ---- threads ---------------------------------------------------------------------------------
// The pool is sized to the machine's cores; GRAFT_NUM_THREADS overrides it at load time.
int num_threads();
void set_num_threads(int threads);

// Calls fn(lo, hi) over disjoint chunks covering [begin, end), on the pool and the calling thread.
// Chunks hold at least `grain` items. A kernel's numbers must never depend on where chunks split:
// that is what keeps results identical for any thread count. Nested calls run serially.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t lo, int64_t hi)>& fn);

// ---- instruction set -------------------------------------------------------------------------
enum class Isa { Generic = 0, Avx2 = 1 };
Isa detected_isa();            // what cpuid says this CPU can run
Isa active_isa();              // what kernels use now (GRAFT_ISA=generic forces the portable path)
void set_active_isa(Isa isa);  // clamps to detected_isa(); tests use it to cover both paths
const char* isa_name(Isa isa);
inline bool use_avx2() { return active_isa() == Isa::Avx2; }
// AVX-512 (F, BW, DQ, VL) is an extension of the AVX2 level rather than an Isa of its own, so code
// that checks use_avx2() keeps its AVX2 path: kernels with an AVX-512 path check use_avx512() first.
// On by default where cpuid and the OS allow it; GRAFT_ISA=avx2 (or set_avx512_enabled(false)) keeps
// every kernel on AVX2, GRAFT_ISA=generic on the portable path.
bool detected_avx512();
void set_avx512_enabled(bool on);  // clamps to detected_avx512()
bool use_avx512();                 // use_avx2() and AVX-512 enabled

// ---- memory ----------------------------------------------------------------------------------
// 64-byte aligned host buffers with live/peak accounting, so a training loop can prove it is flat.
struct MemoryStats {
  int64_t live_bytes;
  int64_t peak_bytes;
  int64_t live_buffers;
  int64_t total_allocations;
};
void* host_alloc(size_t bytes);
void host_free(void* ptr, size_t bytes);
MemoryStats host_memory_stats();
void reset_peak_memory();

}  // namespace graft
