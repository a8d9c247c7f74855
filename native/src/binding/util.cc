#include "binding/util.h"

#include <cmath>
#include <new>

#include "graft/runtime.h"

namespace graft::binding {

std::vector<std::pair<const char*, RegisterFn>>& registry() {
  static std::vector<std::pair<const char*, RegisterFn>> entries;
  return entries;
}

namespace {
Napi::Value Trampoline(const Napi::CallbackInfo& info) {
  auto method = reinterpret_cast<Method>(info.Data());
  try {
    return method(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "out of memory in a native kernel");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}
}  // namespace

void Export(Napi::Object target, const char* name, Method method) {
  target.Set(name, Napi::Function::New(target.Env(), Trampoline, name, reinterpret_cast<void*>(method)));
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void Args::fail(const std::string& message) const {
  throw Napi::RangeError::New(env(), std::string(op_) + ": " + message);
}

void Args::fail_type(const std::string& message) const {
  throw Napi::TypeError::New(env(), std::string(op_) + ": " + message);
}

void Args::fail_size(const char* name, int64_t have, int64_t needed, const std::string& detail) const {
  fail("argument '" + std::string(name) + "' has " + std::to_string(have) + " elements but needs at least " +
       std::to_string(needed) + (detail.empty() ? "" : " (" + detail + ")"));
}

void Args::expect_count(size_t count) const {
  if (info_.Length() < count)
    fail_type("expected " + std::to_string(count) + " arguments, got " + std::to_string(info_.Length()));
}

Napi::Value Args::at(size_t i, const char* name) const {
  if (i >= info_.Length()) fail_type("missing argument '" + std::string(name) + "'");
  return info_[i];
}

template <typename T, napi_typedarray_type Kind>
static Span<T> typed(const Args& args, Napi::Value v, const char* name, const char* type_name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind)
    args.fail_type("argument '" + std::string(name) + "' must be a " + type_name);
  auto array = v.As<Napi::TypedArrayOf<T>>();
  return Span<T>{array.Data(), static_cast<int64_t>(array.ElementLength())};
}

Span<float> Args::floats(size_t i, const char* name) const {
  return typed<float, napi_float32_array>(*this, at(i, name), name, "Float32Array");
}
Span<int32_t> Args::int32s(size_t i, const char* name) const {
  return typed<int32_t, napi_int32_array>(*this, at(i, name), name, "Int32Array");
}
Span<uint8_t> Args::bytes(size_t i, const char* name) const {
  return typed<uint8_t, napi_uint8_array>(*this, at(i, name), name, "Uint8Array");
}

int64_t Args::integer(size_t i, const char* name, int64_t min_value) const {
  Napi::Value v = at(i, name);
  if (!v.IsNumber()) fail_type("argument '" + std::string(name) + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9.0e15)
    fail("argument '" + std::string(name) + "' must be an integer, got " + std::to_string(d));
  auto value = static_cast<int64_t>(d);
  if (value < min_value)
    fail("argument '" + std::string(name) + "' must be >= " + std::to_string(min_value) + ", got " +
         std::to_string(value));
  return value;
}

double Args::number(size_t i, const char* name) const {
  Napi::Value v = at(i, name);
  if (!v.IsNumber()) fail_type("argument '" + std::string(name) + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool Args::boolean(size_t i, const char* name) const {
  Napi::Value v = at(i, name);
  if (!v.IsBoolean()) fail_type("argument '" + std::string(name) + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  Napi::Value v = at(i, name);
  if (!v.IsString()) fail_type("argument '" + std::string(name) + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Args::shape(size_t i, const char* name) const {
  Napi::Value v = at(i, name);
  if (!v.IsArray()) fail_type("argument '" + std::string(name) + "' must be an array of sizes");
  auto array = v.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t d = 0; d < array.Length(); ++d) {
    Napi::Value item = array.Get(d);
    double x = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(x >= 0) || std::floor(x) != x || x > 9.0e15)
      fail("argument '" + std::string(name) + "' must hold integer sizes >= 0, item " + std::to_string(d) +
           " is not");
    out[d] = static_cast<int64_t>(x);
  }
  return out;
}

}  // namespace graft::binding
