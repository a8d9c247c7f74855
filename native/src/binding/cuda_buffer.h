// Device buffers as JavaScript objects, shared by the cuda_*.cc bindings.
// A CudaDeviceBuffer owns one block of the caching allocator; dispose() gives it back at once and
// the finalizer gives it back when a buffer that was never disposed is collected.
#pragma once

#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/cuda_ops.h"

namespace graft::binding {

// A device buffer (or a byte range of one) seen as raw bytes.
struct DeviceBytes {
  uint8_t* data = nullptr;  // device pointer (nullptr when the range holds 0 bytes)
  int64_t bytes = 0;
  int device = 0;
};

// A device buffer seen as float32 elements.
struct DeviceFloats {
  float* data = nullptr;  // device pointer (nullptr when the buffer holds 0 bytes)
  int64_t size = 0;       // floats it holds
  int device = 0;
};

// Reads argument i as a live CudaDeviceBuffer, or as a slice of one: a plain object
// { buffer, byteOffset, byteLength } (what a tensor's packed elements are); otherwise throws
// "<op>: argument '<name>' must be ...". device_floats also needs the slice aligned to 4 bytes.
DeviceFloats device_floats(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name);
DeviceFloats device_floats(Napi::Value value, const Args& args, const std::string& name);  // e.g. an array item
DeviceBytes device_bytes(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name);
DeviceBytes device_bytes(Napi::Value value, const Args& args, const std::string& name);

// Throws unless every buffer lives on the first one's device.
void require_same_device(const Args& args, std::initializer_list<std::pair<const char*, DeviceFloats>> buffers);

// "<op>: argument '<name>' has 6 elements but needs at least 12 (<detail>)" for a device buffer.
inline void require_device_size(const Args& args, const DeviceFloats& buffer, const char* name, int64_t needed,
                                const std::string& detail) {
  args.require_size(Span<float>{buffer.data, buffer.size}, name, needed, detail);
}

// Elements that `batches` strided (rows, cols) matrices span: last*batch_stride + (rows-1)*row_stride + cols
// (0 when empty), saturating instead of overflowing so huge arguments fail the size check.
inline int64_t strided_extent(int64_t last, int64_t batch_stride, int64_t rows, int64_t cols, int64_t row_stride) {
  if (rows == 0 || cols == 0) return 0;
  const double needed = double(last) * double(batch_stride) + double(rows - 1) * double(row_stride) + double(cols);
  return needed >= 9.0e18 ? INT64_MAX : last * batch_stride + (rows - 1) * row_stride + cols;
}

// Argument i as a cuda::Precision: 'float32' (also when undefined), 'tf32' or 'bf16'.
inline cuda::Precision precision_arg(const Args& args, size_t i) {
  const std::string name = args.is_undefined(i) ? "float32" : args.string(i, "precision");
  if (name == "float32") return cuda::Precision::Float32;
  if (name == "tf32") return cuda::Precision::Tf32;
  if (name == "bf16") return cuda::Precision::Bf16;
  args.fail("argument 'precision' must be 'float32', 'tf32' or 'bf16', got '" + name + "'");
}

// The CPU bindings' require_disjoint (binding/strided_args.h) over device memory, in bytes: `a` and `b`
// must not share memory, except that allow_identical lets them be the very same range (in place).
inline void require_apart(const Args& args, const void* a, int64_t a_bytes, const char* a_name, const void* b,
                          int64_t b_bytes, const char* b_name, bool allow_identical) {
  require_disjoint(args, Span<const uint8_t>{static_cast<const uint8_t*>(a), a_bytes}, a_bytes, a_name,
                   Span<const uint8_t>{static_cast<const uint8_t*>(b), b_bytes}, b_bytes, b_name,
                   allow_identical && a_bytes == b_bytes);
}
inline void require_apart(const Args& args, const DeviceFloats& a, const char* a_name, const DeviceFloats& b,
                          const char* b_name, int64_t count, bool allow_identical) {
  const int64_t bytes = count * int64_t(sizeof(float));
  require_apart(args, a.data, bytes, a_name, b.data, bytes, b_name, allow_identical);
}

// A named range of device memory; an absent optional argument is { nullptr, 0, name }.
struct DeviceRange {
  const void* data;
  int64_t bytes;
  const char* name;
};

// For kernels whose threads read inputs other threads' outputs may overlap (reductions, losses,
// convolutions): every output apart from every input and from the other outputs, in place not allowed.
inline void require_outputs_apart(const Args& args, std::initializer_list<DeviceRange> outputs,
                                  std::initializer_list<DeviceRange> inputs) {
  for (auto out = outputs.begin(); out != outputs.end(); ++out) {
    for (const DeviceRange& in : inputs) require_apart(args, out->data, out->bytes, out->name, in.data, in.bytes, in.name, false);
    for (auto other = out + 1; other != outputs.end(); ++other)
      require_apart(args, out->data, out->bytes, out->name, other->data, other->bytes, other->name, false);
  }
}

}  // namespace graft::binding
