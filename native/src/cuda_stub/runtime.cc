// Stub CUDA backend: this addon was built without nvcc, so there are no CUDA devices and every
// entry point that needs one throws "<op>: Graft was built without CUDA ...".
#include <string>

#include "graft/cuda.h"
#include "graft/runtime.h"

namespace graft::cuda {

bool compiled() { return false; }
std::string runtime_version() { return ""; }
std::vector<DeviceInfo> devices() { return {}; }
std::string unavailable_reason() {
  return "Graft was built without CUDA (no nvcc found, or GRAFT_CUDA=OFF); rebuild with GRAFT_CUDA=ON";
}

[[noreturn]] static void unavailable(const char* op) { throw Error(std::string(op) + ": " + unavailable_reason()); }

void require_device(const char* op, int) { unavailable(op); }

void* device_alloc(const char* op, size_t, int) { unavailable(op); }
void device_free(void*) {}
DeviceMemoryStats device_memory_stats(const char* op) { unavailable(op); }
void empty_cache(const char* op) { unavailable(op); }

void upload(const char* op, int, void*, const void*, size_t) { unavailable(op); }
void download(const char* op, int, void*, const void*, size_t) { unavailable(op); }
void synchronize(const char* op, int) { unavailable(op); }

}  // namespace graft::cuda
