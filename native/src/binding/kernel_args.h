// Argument helpers for the norm, random and optimizer bindings: optional arrays, size products that
// cannot overflow, and equal-length checks. Errors name the op and the argument, as Args does.
#pragma once

#include <cmath>
#include <initializer_list>
#include <string>

#include "binding/util.h"

namespace graft::binding {

// An optional Float32Array: undefined/null gives an empty span with data == nullptr.
inline Span<float> optional_floats(const Args& args, size_t i, const char* name) {
  return args.is_undefined(i) ? Span<float>{} : args.floats(i, name);
}

// An optional array that, when given, must hold at least `needed` elements.
inline float* optional_sized(const Args& args, size_t i, const char* name, int64_t needed, const std::string& detail) {
  Span<float> span = optional_floats(args, i, name);
  if (!span.data) return nullptr;
  args.require_size(span, name, needed, detail);
  return span.data;
}

// Product of sizes, failing when it would exceed 2^53 (no real buffer is that large).
inline int64_t elements(const Args& args, std::initializer_list<int64_t> dims, const std::string& detail) {
  double product = 1.0;
  for (int64_t d : dims) product *= static_cast<double>(d);
  if (product > 9007199254740992.0) args.fail("sizes are too large (" + detail + ")");
  int64_t out = 1;
  for (int64_t d : dims) out *= d;
  return out;
}

// A finite number, optionally bounded below.
inline double finite(const Args& args, size_t i, const char* name) {
  const double v = args.number(i, name);
  if (!std::isfinite(v)) args.fail("argument '" + std::string(name) + "' must be finite, got " + std::to_string(v));
  return v;
}

// `span` must have exactly as many elements as `other`.
template <typename T, typename U>
void require_same_length(const Args& args, const Span<T>& span, const char* name, const Span<U>& other,
                         const char* other_name) {
  if (span.size != other.size)
    args.fail("argument '" + std::string(name) + "' has " + std::to_string(span.size) + " elements but '" +
              other_name + "' has " + std::to_string(other.size));
}

// A seed or stream offset: an integer in [0, 2^53) (Args::integer stops at 9e15, below 2^53).
inline uint64_t stream_integer(const Args& args, size_t i, const char* name) {
  const double v = args.number(i, name);
  const std::string arg = "argument '" + std::string(name) + "'";
  if (!std::isfinite(v) || std::floor(v) != v) args.fail(arg + " must be an integer, got " + std::to_string(v));
  if (v < 0) args.fail(arg + " must be >= 0, got " + std::to_string(v));
  if (v >= 9007199254740992.0) args.fail(arg + " must be below 2^53, got " + std::to_string(v));
  return static_cast<uint64_t>(v);
}

// A probability in [0, 1].
inline double probability(const Args& args, size_t i, const char* name) {
  const double p = args.number(i, name);
  if (!(p >= 0.0 && p <= 1.0)) args.fail("argument '" + std::string(name) + "' must be in [0, 1], got " + std::to_string(p));
  return p;
}

}  // namespace graft::binding
