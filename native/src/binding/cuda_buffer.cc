// CUDA device buffers and device-wide calls:
//   new CudaDeviceBuffer(bytes, device)  (cudaAlloc in TypeScript), buffer.dispose(),
//   cudaUpload(buffer, Float32Array | Int32Array), cudaDownload(buffer, Float32Array | Int32Array),
//   cudaMemoryStats(), cudaEmptyCache(), cudaSynchronize(device).
// Each throws "<op>: Graft was built without CUDA ..." (stub) or "<op>: no CUDA device: <reason>".
#include "binding/cuda_buffer.h"

#include <cmath>
#include <exception>
#include <string>

#include "graft/cuda.h"

namespace graft::binding {
namespace {

// Tags the objects this class makes so no other object can pass for a device buffer.
constexpr napi_type_tag kDeviceBufferTag = {0x6a1c0e5b2f3d4c71ULL, 0x9e8d7c6b5a4f3e21ULL};

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CudaDeviceBuffer",
                       {InstanceMethod<&DeviceBuffer::Dispose>("dispose"),
                        InstanceAccessor<&DeviceBuffer::Bytes>("bytes"),
                        InstanceAccessor<&DeviceBuffer::Device>("device"),
                        InstanceAccessor<&DeviceBuffer::Disposed>("disposed")});
  }

  explicit DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
    Args args(info, "cudaAlloc");
    const int64_t bytes = args.integer(0, "bytes", 0);
    const int64_t device = args.is_undefined(1) ? 0 : args.integer(1, "device", 0);
    if (bytes > (int64_t(1) << 40)) args.fail("argument 'bytes' is too large: " + std::to_string(bytes));
    if (device > 1024) args.fail("argument 'device' is too large: " + std::to_string(device));
    try {
      data_ = cuda::device_alloc("cudaAlloc", static_cast<size_t>(bytes), static_cast<int>(device));
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());  // a constructor has no Export() trampoline
    }
    bytes_ = bytes;
    device_ = static_cast<int>(device);
    info.This().As<Napi::Object>().TypeTag(&kDeviceBufferTag);
  }

  ~DeviceBuffer() override { release(); }

  static DeviceBuffer* From(Napi::Value value) {
    if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kDeviceBufferTag)) return nullptr;
    return Unwrap(value.As<Napi::Object>());
  }

  DeviceFloats floats() const { return DeviceFloats{static_cast<float*>(data_), bytes_ / 4, device_}; }
  int64_t bytes() const { return bytes_; }
  bool disposed() const { return disposed_; }

 private:
  void release() {
    if (!disposed_) cuda::device_free(data_);
    disposed_ = true;
    data_ = nullptr;
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    release();  // disposing twice is harmless
    return info.Env().Undefined();
  }
  Napi::Value Bytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(bytes_)); }
  Napi::Value Device(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), device_); }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

  void* data_ = nullptr;
  int64_t bytes_ = 0;
  int device_ = 0;
  bool disposed_ = false;
};

// A Float32Array or Int32Array (4-byte elements, so element counts line up with the buffer's floats).
Span<uint8_t> words(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name) {
  const Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsTypedArray() || (v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array &&
                            v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array))
    args.fail_type("argument '" + std::string(name) + "' must be a Float32Array or an Int32Array");
  auto array = v.As<Napi::TypedArray>();
  auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return Span<uint8_t>{data, static_cast<int64_t>(array.ElementLength())};  // size counts 4-byte elements
}

Napi::Value Upload(const Napi::CallbackInfo& info) {
  Args args(info, "cudaUpload");
  args.expect_count(2);
  DeviceFloats dst = device_floats(info, args, 0, "buffer");
  Span<uint8_t> src = words(info, args, 1, "data");
  if (src.size > dst.size)
    args.fail("argument 'data' has " + std::to_string(src.size) + " elements but 'buffer' holds only " +
              std::to_string(dst.size) + " floats");
  cuda::upload("cudaUpload", dst.device, dst.data, src.data, static_cast<size_t>(src.size) * 4);
  return info.Env().Undefined();
}

Napi::Value Download(const Napi::CallbackInfo& info) {
  Args args(info, "cudaDownload");
  args.expect_count(2);
  DeviceFloats src = device_floats(info, args, 0, "buffer");
  Span<uint8_t> dst = words(info, args, 1, "out");
  if (dst.size > src.size)
    args.fail("argument 'out' has " + std::to_string(dst.size) + " elements but 'buffer' holds only " +
              std::to_string(src.size) + " floats");
  cuda::download("cudaDownload", src.device, dst.data, src.data, static_cast<size_t>(dst.size) * 4);
  return info.Env().Undefined();
}

// Any typed array's bytes (Uint8Array, Uint16Array, BigInt64Array, ...): what tensors of every dtype hold.
Span<uint8_t> any_bytes(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name) {
  const Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsTypedArray()) args.fail_type("argument '" + std::string(name) + "' must be a typed array");
  auto array = v.As<Napi::TypedArray>();
  auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return Span<uint8_t>{data, static_cast<int64_t>(array.ByteLength())};
}

// cudaWriteBytes(dst, data): the bytes of any typed array into the start of a buffer or slice.
Napi::Value WriteBytes(const Napi::CallbackInfo& info) {
  Args args(info, "cudaWriteBytes");
  args.expect_count(2);
  const DeviceBytes dst = device_bytes(info, args, 0, "dst");
  const Span<uint8_t> src = any_bytes(info, args, 1, "data");
  if (src.size > dst.bytes)
    args.fail("argument 'data' has " + std::to_string(src.size) + " bytes but 'dst' holds only " + std::to_string(dst.bytes));
  if (src.size > 0) cuda::upload("cudaWriteBytes", dst.device, dst.data, src.data, static_cast<size_t>(src.size));
  return info.Env().Undefined();
}

// cudaReadBytes(src, out): the first out.byteLength bytes of a buffer or slice, after all queued work.
Napi::Value ReadBytes(const Napi::CallbackInfo& info) {
  Args args(info, "cudaReadBytes");
  args.expect_count(2);
  const DeviceBytes src = device_bytes(info, args, 0, "src");
  const Span<uint8_t> out = any_bytes(info, args, 1, "out");
  if (out.size > src.bytes)
    args.fail("argument 'out' has " + std::to_string(out.size) + " bytes but 'src' holds only " + std::to_string(src.bytes));
  if (out.size > 0) cuda::download("cudaReadBytes", src.device, out.data, src.data, static_cast<size_t>(out.size));
  return info.Env().Undefined();
}

Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  const cuda::DeviceMemoryStats s = cuda::device_memory_stats("cudaMemoryStats");
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("liveBytes", double(s.live_bytes));
  out.Set("peakBytes", double(s.peak_bytes));
  out.Set("cachedBytes", double(s.cached_bytes));
  out.Set("liveBlocks", double(s.live_blocks));
  out.Set("deviceAllocations", double(s.device_allocations));
  out.Set("cacheHits", double(s.cache_hits));
  return out;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  cuda::empty_cache("cudaEmptyCache");
  return info.Env().Undefined();
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  Args args(info, "cudaSynchronize");
  const int64_t device = args.is_undefined(0) ? -1 : args.integer(0, "device", 0);
  cuda::synchronize("cudaSynchronize", static_cast<int>(device > 1024 ? 1024 : device));
  return info.Env().Undefined();
}

}  // namespace

DeviceBytes device_bytes(Napi::Value value, const Args& args, const std::string& name) {
  const std::string what = "argument '" + name + "' must be a CUDA device buffer made by cudaAlloc() or a slice "
                           "{ buffer, byteOffset, byteLength } of one";
  DeviceBuffer* buffer = DeviceBuffer::From(value);
  int64_t offset = 0, length = -1;
  if (buffer == nullptr && value.IsObject()) {  // a slice
    Napi::Object slice = value.As<Napi::Object>();
    buffer = DeviceBuffer::From(slice.Get("buffer"));
    const Napi::Value o = slice.Get("byteOffset"), l = slice.Get("byteLength");
    if (buffer == nullptr || !o.IsNumber() || !l.IsNumber()) args.fail_type(what);
    const double od = o.As<Napi::Number>().DoubleValue(), ld = l.As<Napi::Number>().DoubleValue();
    if (!(od >= 0 && ld >= 0 && od == std::floor(od) && ld == std::floor(ld) && od + ld <= 9.0e15))
      args.fail("argument '" + name + "' has a byteOffset or byteLength that is not an integer >= 0");
    offset = static_cast<int64_t>(od);
    length = static_cast<int64_t>(ld);
  }
  if (buffer == nullptr) args.fail_type(what);
  if (buffer->disposed()) args.fail("argument '" + name + "' is a disposed CUDA device buffer");
  const DeviceFloats whole = buffer->floats();
  const int64_t bytes = buffer->bytes();
  if (length < 0) length = bytes;
  if (offset + length > bytes)
    args.fail("argument '" + name + "' is a slice of bytes [" + std::to_string(offset) + ", " +
              std::to_string(offset + length) + ") of a buffer of " + std::to_string(bytes) + " bytes");
  auto* base = reinterpret_cast<uint8_t*>(whole.data);
  return DeviceBytes{length == 0 ? nullptr : base + offset, length, whole.device};
}

DeviceBytes device_bytes(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name) {
  return device_bytes(i < info.Length() ? info[i] : info.Env().Undefined(), args, name);
}

DeviceFloats device_floats(Napi::Value value, const Args& args, const std::string& name) {
  const DeviceBytes b = device_bytes(value, args, name);
  if (reinterpret_cast<uintptr_t>(b.data) % 4 != 0)
    args.fail("argument '" + name + "' must start on a 4-byte boundary to be read as 4-byte elements");
  return DeviceFloats{reinterpret_cast<float*>(b.data), b.bytes / 4, b.device};
}

DeviceFloats device_floats(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name) {
  return device_floats(i < info.Length() ? info[i] : info.Env().Undefined(), args, name);
}

void require_same_device(const Args& args, std::initializer_list<std::pair<const char*, DeviceFloats>> buffers) {
  if (buffers.size() == 0) return;
  const auto& first = *buffers.begin();
  for (const auto& [name, buffer] : buffers)
    if (buffer.device != first.second.device)
      args.fail("argument '" + std::string(name) + "' is on device " + std::to_string(buffer.device) +
                " but '" + first.first + "' is on device " + std::to_string(first.second.device));
}

GRAFT_BINDING(cuda_buffer) {
  exports.Set("CudaDeviceBuffer", DeviceBuffer::Define(env));
  Export(exports, "cudaUpload", Upload);
  Export(exports, "cudaDownload", Download);
  Export(exports, "cudaWriteBytes", WriteBytes);
  Export(exports, "cudaReadBytes", ReadBytes);
  Export(exports, "cudaMemoryStats", MemoryStats);
  Export(exports, "cudaEmptyCache", EmptyCache);
  Export(exports, "cudaSynchronize", Synchronize);
}

}  // namespace graft::binding
