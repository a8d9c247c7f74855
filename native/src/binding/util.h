// Binding helpers: argument reading with errors that name the op and the argument, and a registry
// so each op's binding file adds itself to the addon without editing a central list.
// No math lives in src/binding/: it converts, validates and dispatches.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace graft::binding {

using RegisterFn = void (*)(Napi::Env env, Napi::Object exports, Napi::Object ref);
std::vector<std::pair<const char*, RegisterFn>>& registry();

struct Registrar {
  Registrar(const char* name, RegisterFn fn) { registry().emplace_back(name, fn); }
};

// GRAFT_BINDING(gemm) { Export(exports, "gemm", ...); Export(ref, "gemm", ...); }
// `exports` receives the fast kernels, `ref` (addon.ref) the naive references.
#define GRAFT_BINDING(name)                                                                  \
  static void graft_register_##name(Napi::Env env, Napi::Object exports, Napi::Object ref); \
  static ::graft::binding::Registrar graft_registrar_##name(#name, graft_register_##name);  \
  static void graft_register_##name(Napi::Env env, Napi::Object exports, Napi::Object ref)

using Method = Napi::Value (*)(const Napi::CallbackInfo&);

// Adds target[name] = method, turning any C++ exception into a JavaScript Error that names the op.
void Export(Napi::Object target, const char* name, Method method);

template <typename T>
struct Span {
  T* data = nullptr;
  int64_t size = 0;
};

// Reads a call's arguments. Every error message starts with the op's name and names the argument.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  Napi::Env env() const { return info_.Env(); }
  const char* op() const { return op_; }

  void expect_count(size_t count) const;
  Span<float> floats(size_t i, const char* name) const;          // Float32Array
  Span<int32_t> int32s(size_t i, const char* name) const;        // Int32Array
  Span<uint8_t> bytes(size_t i, const char* name) const;         // Uint8Array
  int64_t integer(size_t i, const char* name, int64_t min_value = 0) const;
  double number(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;
  std::string string(size_t i, const char* name) const;
  std::vector<int64_t> shape(size_t i, const char* name) const;  // array of integers >= 0
  bool is_undefined(size_t i) const { return i >= info_.Length() || info_[i].IsUndefined() || info_[i].IsNull(); }

  // "<op>: argument '<name>' has 6 elements but needs at least 12 (<detail>)"
  template <typename T>
  void require_size(const Span<T>& span, const char* name, int64_t needed, const std::string& detail) const {
    if (span.size < needed) fail_size(name, span.size, needed, detail);
  }
  [[noreturn]] void fail(const std::string& message) const;  // RangeError "<op>: <message>"
  [[noreturn]] void fail_type(const std::string& message) const;  // TypeError "<op>: <message>"

 private:
  [[noreturn]] void fail_size(const char* name, int64_t have, int64_t needed, const std::string& detail) const;
  Napi::Value at(size_t i, const char* name) const;

  const Napi::CallbackInfo& info_;
  const char* op_;
};

std::string shape_string(const std::vector<int64_t>& shape);

// Elements a strided (rows, cols) matrix spans: (rows-1)*row_stride + cols, or 0 when empty.
inline int64_t matrix_extent(int64_t rows, int64_t cols, int64_t row_stride) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * row_stride + cols;
}

}  // namespace graft::binding
