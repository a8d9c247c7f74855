// Device buffers as JavaScript objects, shared by the cuda_*.cc bindings.
// A CudaDeviceBuffer owns one block of the caching allocator; dispose() gives it back at once and
// the finalizer gives it back when a buffer that was never disposed is collected.
#pragma once

#include <napi.h>

#include <cstdint>

#include "binding/util.h"

namespace graft::binding {

// A device buffer seen as float32 elements.
struct DeviceFloats {
  float* data = nullptr;  // device pointer (nullptr when the buffer holds 0 bytes)
  int64_t size = 0;       // floats it holds
  int device = 0;
};

// Reads argument i as a live CudaDeviceBuffer, or throws "<op>: argument '<name>' must be ...".
DeviceFloats device_floats(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name);

// Throws unless every buffer lives on the first one's device.
void require_same_device(const Args& args, std::initializer_list<std::pair<const char*, DeviceFloats>> buffers);

// "<op>: argument '<name>' has 6 elements but needs at least 12 (<detail>)" for a device buffer.
inline void require_device_size(const Args& args, const DeviceFloats& buffer, const char* name, int64_t needed,
                                const std::string& detail) {
  args.require_size(Span<float>{buffer.data, buffer.size}, name, needed, detail);
}

}  // namespace graft::binding
