// Runtime bindings: host buffers, memory statistics, threads, instruction set, capabilities.
//
// Host buffers are external ArrayBuffers over 64-byte aligned native memory. free() releases the
// memory at once (deterministically, not at the next GC) and detaches the ArrayBuffer so no view
// can touch it again; a buffer that is never freed is released by its finalizer when collected.
#include <mutex>
#include <unordered_map>

#include "binding/util.h"
#include "graft/cuda.h"
#include "graft/runtime.h"

namespace graft::binding {
namespace {

struct HostBuffer {
  void* data;
  size_t bytes;
  bool freed;
};

std::mutex g_buffers_mutex;
std::unordered_map<void*, HostBuffer*> g_live_buffers;  // data pointer -> record, live buffers only

void FinalizeBuffer(Napi::Env, void*, HostBuffer* record) {
  {
    std::lock_guard<std::mutex> lock(g_buffers_mutex);
    if (!record->freed) {
      g_live_buffers.erase(record->data);
      host_free(record->data, record->bytes);
    }
  }
  delete record;
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Args args(info, "alloc");
  int64_t bytes = args.integer(0, "bytes", 0);
  if (bytes > (int64_t(1) << 40)) args.fail("argument 'bytes' is too large: " + std::to_string(bytes));
  void* data = host_alloc(static_cast<size_t>(bytes));
  auto* record = new HostBuffer{data, static_cast<size_t>(bytes), false};
  {
    std::lock_guard<std::mutex> lock(g_buffers_mutex);
    g_live_buffers[data] = record;
  }
  return Napi::ArrayBuffer::New(info.Env(), data, static_cast<size_t>(bytes), FinalizeBuffer, record);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Args args(info, "free");
  if (!info[0].IsArrayBuffer()) args.fail_type("argument 'buffer' must be an ArrayBuffer made by alloc()");
  auto buffer = info[0].As<Napi::ArrayBuffer>();
  void* data = buffer.Data();
  if (data == nullptr) return info.Env().Undefined();  // already freed (detached): freeing twice is harmless
  HostBuffer* record = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_buffers_mutex);
    auto it = g_live_buffers.find(data);
    if (it == g_live_buffers.end()) args.fail_type("argument 'buffer' was not made by alloc()");
    record = it->second;
    g_live_buffers.erase(it);
    record->freed = true;
  }
  buffer.Detach();
  host_free(record->data, record->bytes);
  return info.Env().Undefined();
}

Napi::Value MemoryStatsJs(const Napi::CallbackInfo& info) {
  MemoryStats s = host_memory_stats();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("liveBytes", Napi::Number::New(info.Env(), static_cast<double>(s.live_bytes)));
  out.Set("peakBytes", Napi::Number::New(info.Env(), static_cast<double>(s.peak_bytes)));
  out.Set("liveBuffers", Napi::Number::New(info.Env(), static_cast<double>(s.live_buffers)));
  out.Set("totalAllocations", Napi::Number::New(info.Env(), static_cast<double>(s.total_allocations)));
  return out;
}

Napi::Value ResetPeakMemory(const Napi::CallbackInfo& info) {
  reset_peak_memory();
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setNumThreads");
  int64_t threads = args.integer(0, "threads", 1);
  if (threads > 1024) args.fail("argument 'threads' must be <= 1024, got " + std::to_string(threads));
  set_num_threads(static_cast<int>(threads));
  return info.Env().Undefined();
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Args args(info, "setIsa");
  std::string name = args.string(0, "isa");
  if (name == "generic") set_active_isa(Isa::Generic);
  else if (name == "avx2") set_active_isa(Isa::Avx2), set_avx512_enabled(false);
  else if (name == "avx512") set_active_isa(Isa::Avx2), set_avx512_enabled(true);
  else if (name == "auto") set_active_isa(detected_isa()), set_avx512_enabled(true);
  else args.fail("argument 'isa' must be 'generic', 'avx2', 'avx512' or 'auto', got '" + name + "'");
  return Napi::String::New(info.Env(), isa_name(active_isa()));
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("detectedIsa", isa_name(detected_isa()));
  out.Set("isa", isa_name(active_isa()));
  out.Set("detectedAvx512", detected_avx512());
  out.Set("avx512", use_avx512());
  out.Set("threads", num_threads());
  out.Set("cudaCompiled", cuda::compiled());
  out.Set("cudaRuntimeVersion", cuda::runtime_version());
  Napi::Array devices = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& d : cuda::devices()) {
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("index", d.index);
    dev.Set("name", d.name);
    dev.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    dev.Set("totalMemoryBytes", static_cast<double>(d.total_memory_bytes));
    dev.Set("multiprocessors", d.multiprocessors);
    devices.Set(i++, dev);
  }
  out.Set("cudaDevices", devices);
  out.Set("cudaUnavailableReason", cuda::unavailable_reason());
#ifdef __VERSION__
  out.Set("compiler", __VERSION__);
#endif
  return out;
}

}  // namespace

GRAFT_BINDING(runtime) {
  Export(exports, "alloc", Alloc);
  Export(exports, "free", Free);
  Export(exports, "memoryStats", MemoryStatsJs);
  Export(exports, "resetPeakMemory", ResetPeakMemory);
  Export(exports, "getNumThreads", GetNumThreads);
  Export(exports, "setNumThreads", SetNumThreads);
  Export(exports, "setIsa", SetIsa);
  Export(exports, "capabilities", Capabilities);
}

}  // namespace graft::binding
