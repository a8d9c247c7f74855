// Binding helpers for strided views (binary, where, strided copies): reading signed strides and
// checking that every element a view can reach lies inside its array. No math on tensor values.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "binding/util.h"
#include "graft/elementwise.h"

namespace graft::binding {

inline int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t total = 1;
  for (int64_t s : shape) total *= s;
  return total;
}

// A shape of at most kMaxElementwiseDims sizes whose element count fits comfortably in int64.
inline std::vector<int64_t> read_view_shape(const Args& args, size_t i, const char* name) {
  std::vector<int64_t> shape = args.shape(i, name);
  if (shape.size() > static_cast<size_t>(kMaxElementwiseDims))
    args.fail("argument '" + std::string(name) + "' " + shape_string(shape) + " has " + std::to_string(shape.size()) +
              " dims; at most " + std::to_string(kMaxElementwiseDims) + " are supported");
  double total = 1;
  for (int64_t s : shape) total *= double(s);
  if (total > 9.0e15) args.fail("argument '" + std::string(name) + "' " + shape_string(shape) + " has too many elements");
  return shape;
}

// Strides (integers, negative allowed), one per dim of `shape`.
inline std::vector<int64_t> read_strides(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name,
                                         const std::vector<int64_t>& shape) {
  const std::string arg = "argument '" + std::string(name) + "'";
  if (i >= info.Length() || !info[i].IsArray()) args.fail_type(arg + " must be an array of integer strides");
  auto array = info[i].As<Napi::Array>();
  if (array.Length() != shape.size())
    args.fail(arg + " has " + std::to_string(array.Length()) + " strides but the shape " + shape_string(shape) +
              " has " + std::to_string(shape.size()) + " dims");
  std::vector<int64_t> strides(array.Length());
  for (uint32_t d = 0; d < array.Length(); ++d) {
    Napi::Value item = array.Get(d);
    const double x = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(x) || std::floor(x) != x || std::fabs(x) > 1.0e12)
      args.fail(arg + " must hold integer strides, item " + std::to_string(d) + " is not");
    strides[d] = static_cast<int64_t>(x);
  }
  return strides;
}

// Fails unless offset + sum(index[d] * strides[d]) stays inside [0, size) for every index of `shape`.
template <typename T>
void require_view(const Args& args, const Span<T>& span, const char* name, int64_t offset,
                  const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  if (element_count(shape) == 0) return;
  // Checked arithmetic: a huge dim times a huge stride must not wrap around into a small reach (the
  // views of every caller are at most 9e15 elements with strides up to 1e12, products up to 9e27).
  int64_t lowest = offset, highest = offset;
  bool wrapped = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t reach = 0;
    wrapped |= __builtin_mul_overflow(shape[d] - 1, strides[d], &reach);
    wrapped |= __builtin_add_overflow(reach < 0 ? lowest : highest, reach, reach < 0 ? &lowest : &highest);
  }
  if (wrapped)
    args.fail("argument '" + std::string(name) + "': the view of shape " + shape_string(shape) + " with strides " +
              shape_string(strides) + " reaches past 2^63 elements");
  if (lowest < 0 || highest >= span.size)
    args.fail("argument '" + std::string(name) + "' (" + std::to_string(span.size) + " elements) cannot hold the view of shape " +
              shape_string(shape) + " with offset " + std::to_string(offset) + " and strides " + shape_string(strides) +
              ": it reaches elements " + std::to_string(lowest) + " to " + std::to_string(highest));
}

// The memory [first, last] (in elements of T) a view spans; empty views span nothing (first > last).
template <typename T>
struct Extent {
  const T* first = nullptr;
  const T* last = nullptr;
};

template <typename T>
Extent<T> view_extent(const T* start, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  if (element_count(shape) == 0) return {start + 1, start};
  int64_t lowest = 0, highest = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    const int64_t reach = (shape[d] - 1) * strides[d];
    (reach < 0 ? lowest : highest) += reach;
  }
  return {start + lowest, start + highest};
}

// The bytes [first, last] a view of `element_size`-byte elements spans, its strides counted in elements.
inline Extent<uint8_t> view_extent_bytes(const uint8_t* start, const std::vector<int64_t>& shape,
                                         const std::vector<int64_t>& strides, int element_size) {
  const Extent<uint8_t> elements = view_extent(start, shape, strides);
  if (elements.first > elements.last) return elements;
  const auto scaled = [&](const uint8_t* p) { return start + (p - start) * element_size; };
  return {scaled(elements.first), scaled(elements.last) + element_size - 1};
}

// Whether two extents share an element (compared as addresses: they may lie in different arrays).
// Conservative: two interleaved views (even and odd elements) count as overlapping.
template <typename T>
bool overlaps(const Extent<T>& a, const Extent<T>& b) {
  const auto at = [](const T* p) { return reinterpret_cast<uintptr_t>(p); };
  return a.first <= a.last && b.first <= b.last && at(a.first) <= at(b.last) && at(b.first) <= at(a.last);
}

// Fails when the first na elements of a and the first nb elements of b share memory, unless
// allow_identical and both start at the same address (the in-place case of elementwise kernels).
template <typename A, typename B>
void require_disjoint(const Args& args, const Span<A>& a, int64_t na, const char* a_name, const Span<B>& b, int64_t nb,
                      const char* b_name, bool allow_identical) {
  if (na <= 0 || nb <= 0) return;
  const auto a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  const uintptr_t a1 = a0 + static_cast<uintptr_t>(na) * sizeof(A), b1 = b0 + static_cast<uintptr_t>(nb) * sizeof(B);
  if (a0 >= b1 || b0 >= a1) return;
  if (allow_identical && a0 == b0 && sizeof(A) == sizeof(B)) return;
  args.fail("argument '" + std::string(a_name) + "' shares memory with '" + b_name + "'" +
            (allow_identical ? " at an offset (only the very same array may be passed for both)" : ""));
}

// True when a strided view walks exactly the contiguous layout of `shape` from `start` (size-1 dims
// may have any stride): the one way an input may share memory with an elementwise output.
template <typename T>
bool same_as_contiguous(const T* view, const std::vector<int64_t>& strides, const T* start, const std::vector<int64_t>& shape) {
  if (view != start) return false;
  int64_t expected = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1 && strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

// An input view may be the contiguous output itself (in place) but must not otherwise share memory with
// it: a kernel would read elements it has already overwritten.
template <typename T>
void require_no_alias(const Args& args, const T* view, const Dims& strides, const char* name, const T* out,
                      const Dims& shape) {
  Dims out_strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) out_strides[d - 1] = out_strides[d] * shape[d];
  if (same_as_contiguous(view, strides, out, shape)) return;
  if (overlaps(view_extent(view, shape, strides), view_extent(out, shape, out_strides)))
    args.fail("argument '" + std::string(name) + "' shares memory with 'out' through a different view (shape " +
              shape_string(shape) + ", strides " + shape_string(strides) + "); write to a separate array");
}

}  // namespace graft::binding
