// The CUDA backend's device queries. Built from src/cuda/ where nvcc exists, else from
// src/cuda_stub/, whose functions say the addon was built without CUDA: callers never need #ifdef.
#pragma once

#include <string>
#include <vector>

namespace graft::cuda {

struct DeviceInfo {
  int index;
  std::string name;
  int major, minor;  // compute capability
  size_t total_memory_bytes;
  int multiprocessors;
};

bool compiled();                      // true when the CUDA backend was built in
std::string runtime_version();        // e.g. "13.0", or "" when not compiled
std::vector<DeviceInfo> devices();    // empty when there is no driver or no GPU
std::string unavailable_reason();     // why devices() is empty ("" when it is not)

}  // namespace graft::cuda
