// Stub CUDA backend: this addon was built without nvcc, so there are no CUDA devices.
#include "graft/cuda.h"

namespace graft::cuda {

bool compiled() { return false; }
std::string runtime_version() { return ""; }
std::vector<DeviceInfo> devices() { return {}; }
std::string unavailable_reason() {
  return "Graft was built without CUDA (no nvcc found, or GRAFT_CUDA=OFF); rebuild with GRAFT_CUDA=ON";
}

}  // namespace graft::cuda
