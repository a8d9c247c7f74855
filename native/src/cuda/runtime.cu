// CUDA device queries, device selection and the one stream per device. A machine with nvcc but no
// GPU (or no driver) reports no devices and why.
#include <cuda_runtime.h>

#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "graft/cuda.h"

namespace graft::cuda {

bool compiled() { return true; }

std::string runtime_version() {
  int version = 0;
  if (cudaRuntimeGetVersion(&version) != cudaSuccess) return "unknown";
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::vector<DeviceInfo> devices() {
  std::vector<DeviceInfo> out;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error so later queries start clean
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.push_back(DeviceInfo{i, prop.name, prop.major, prop.minor, prop.totalGlobalMem, prop.multiProcessorCount});
  }
  return out;
}

std::string unavailable_reason() {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("CUDA is compiled in but no device is usable: ") + cudaGetErrorString(status);
  }
  return count == 0 ? "CUDA is compiled in but no GPU is present" : "";
}

namespace {

struct DeviceTable {
  std::mutex mutex;
  bool probed = false;
  int count = 0;
  std::string reason;                  // why count == 0
  std::vector<cudaStream_t> streams;   // one per device, nullptr until first used
  std::vector<int> capability;         // major*10+minor
};

DeviceTable& table() {
  static DeviceTable* t = new DeviceTable;  // never destroyed: the CUDA runtime may be gone at exit
  return *t;
}

// Caller holds the mutex.
void probe(DeviceTable& t) {
  if (t.probed) return;
  t.probed = true;
  cudaError_t status = cudaGetDeviceCount(&t.count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    t.count = 0;
  }
  if (t.count == 0) t.reason = unavailable_reason();
  t.streams.assign(static_cast<size_t>(t.count), nullptr);
  t.capability.assign(static_cast<size_t>(t.count), 0);
  for (int i = 0; i < t.count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) t.capability[i] = prop.major * 10 + prop.minor;
  }
}

}  // namespace

void require_device(const char* op, int device) {
  DeviceTable& t = table();
  {
    std::lock_guard<std::mutex> lock(t.mutex);
    probe(t);
  }
  if (t.count == 0) throw Error(std::string(op) + ": no CUDA device: " + t.reason);
  if (device < 0 || device >= t.count)
    throw Error(std::string(op) + ": argument 'device' is " + std::to_string(device) + " but there " +
                (t.count == 1 ? "is 1 CUDA device" : "are " + std::to_string(t.count) + " CUDA devices"));
  GRAFT_CUDA_CHECK(op, cudaSetDevice(device));
}

cudaStream_t stream_for(const char* op, int device) {
  require_device(op, device);
  DeviceTable& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  cudaStream_t& stream = t.streams[static_cast<size_t>(device)];
  if (stream == nullptr) GRAFT_CUDA_CHECK(op, cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return stream;
}

int compute_capability(int device) {
  DeviceTable& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  probe(t);
  return device >= 0 && device < t.count ? t.capability[static_cast<size_t>(device)] : 0;
}

void allow_dynamic_shared_memory(const char* op, const void* kernel, size_t bytes, int device) {
  constexpr size_t kDefaultLimit = 48 * 1024;
  if (bytes <= kDefaultLimit) return;
  static std::mutex mutex;
  static std::set<std::pair<const void*, int>> allowed;
  std::lock_guard<std::mutex> lock(mutex);
  if (allowed.count({kernel, device})) return;
  GRAFT_CUDA_CHECK(op, cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  allowed.insert({kernel, device});
}

void synchronize(const char* op, int device) {
  DeviceTable& t = table();
  std::vector<std::pair<int, cudaStream_t>> targets;
  {
    std::lock_guard<std::mutex> lock(t.mutex);
    probe(t);
    if (t.count == 0) throw Error(std::string(op) + ": no CUDA device: " + t.reason);
    for (int i = 0; i < t.count; ++i)
      if (t.streams[i] != nullptr && (device < 0 || device == i)) targets.emplace_back(i, t.streams[i]);
  }
  if (device >= 0) require_device(op, device);
  for (auto [index, stream] : targets) {
    GRAFT_CUDA_CHECK(op, cudaSetDevice(index));
    GRAFT_CUDA_CHECK(op, cudaStreamSynchronize(stream));  // also reports a kernel's asynchronous fault
  }
}

}  // namespace graft::cuda
