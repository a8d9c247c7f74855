// Binding helpers for strided views (binary, where, strided copies): reading signed strides and
// checking that every element a view can reach lies inside its array. No math on tensor values.
#pragma once

#include <cmath>
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
  int64_t lowest = offset, highest = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    const int64_t reach = (shape[d] - 1) * strides[d];
    (reach < 0 ? lowest : highest) += reach;
  }
  if (lowest < 0 || highest >= span.size)
    args.fail("argument '" + std::string(name) + "' (" + std::to_string(span.size) + " elements) cannot hold the view of shape " +
              shape_string(shape) + " with offset " + std::to_string(offset) + " and strides " + shape_string(strides) +
              ": it reaches elements " + std::to_string(lowest) + " to " + std::to_string(highest));
}

}  // namespace graft::binding
