// stridedCopy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides), stridedCopyInt32(same)
// castUint8ToFloat32(src, dst, scale), castInt32ToFloat32(src, dst, scale), castFloat32ToInt32(src, dst)
#include <string>
#include <type_traits>

#include "binding/strided_args.h"
#include "binding/util.h"
#include "graft/elementwise.h"

namespace graft::binding {
namespace {

template <typename T>
Span<T> read_array(const Args& args, size_t i, const char* name);
template <>
Span<float> read_array<float>(const Args& args, size_t i, const char* name) { return args.floats(i, name); }
template <>
Span<int32_t> read_array<int32_t>(const Args& args, size_t i, const char* name) { return args.int32s(i, name); }

template <typename T>
using CopyKernel = void (*)(const Dims&, const T*, const Dims&, T*, const Dims&);

template <typename T, CopyKernel<T> Kernel>
Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  Args args(info, std::is_same_v<T, float> ? "stridedCopy" : "stridedCopyInt32");
  args.expect_count(7);
  const Dims shape = read_view_shape(args, 0, "shape");
  Span<T> src = read_array<T>(args, 1, "src");
  const int64_t src_offset = args.integer(2, "srcOffset");
  const Dims src_strides = read_strides(info, args, 3, "srcStrides", shape);
  Span<T> dst = read_array<T>(args, 4, "dst");
  const int64_t dst_offset = args.integer(5, "dstOffset");
  const Dims dst_strides = read_strides(info, args, 6, "dstStrides", shape);
  require_view(args, src, "src", src_offset, shape, src_strides);
  require_view(args, dst, "dst", dst_offset, shape, dst_strides);
  if (element_count(shape) == 0) return info.Env().Undefined();
  if (overlaps(view_extent(src.data + src_offset, shape, src_strides), view_extent(dst.data + dst_offset, shape, dst_strides)))
    args.fail("the 'src' and 'dst' views of shape " + shape_string(shape) + " share memory; copy through a temporary");
  Kernel(shape, src.data + src_offset, src_strides, dst.data + dst_offset, dst_strides);
  return info.Env().Undefined();
}

template <typename T>
using CastKernel = void (*)(const T*, float*, int64_t, float);

template <typename T, CastKernel<T> Kernel>
Napi::Value CastToFloat32(const Napi::CallbackInfo& info) {
  Args args(info, std::is_same_v<T, uint8_t> ? "castUint8ToFloat32" : "castInt32ToFloat32");
  args.expect_count(3);
  Span<T> src;
  if constexpr (std::is_same_v<T, uint8_t>) src = args.bytes(0, "src");
  else src = args.int32s(0, "src");
  Span<float> dst = args.floats(1, "dst");
  const double scale = args.number(2, "scale");
  args.require_size(dst, "dst", src.size, "src has " + std::to_string(src.size) + " elements");
  Kernel(src.data, dst.data, src.size, static_cast<float>(scale));
  return info.Env().Undefined();
}

template <void (*Kernel)(const float*, int32_t*, int64_t)>
Napi::Value CastFloat32ToInt32(const Napi::CallbackInfo& info) {
  Args args(info, "castFloat32ToInt32");
  args.expect_count(2);
  Span<float> src = args.floats(0, "src");
  Span<int32_t> dst = args.int32s(1, "dst");
  args.require_size(dst, "dst", src.size, "src has " + std::to_string(src.size) + " elements");
  Kernel(src.data, dst.data, src.size);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(strided_copy) {
  Export(exports, "stridedCopy", StridedCopy<float, cpu::strided_copy>);
  Export(ref, "stridedCopy", StridedCopy<float, ref::strided_copy>);
  Export(exports, "stridedCopyInt32", StridedCopy<int32_t, cpu::strided_copy>);
  Export(ref, "stridedCopyInt32", StridedCopy<int32_t, ref::strided_copy>);
  Export(exports, "castUint8ToFloat32", CastToFloat32<uint8_t, cpu::cast_to_float32>);
  Export(ref, "castUint8ToFloat32", CastToFloat32<uint8_t, ref::cast_to_float32>);
  Export(exports, "castInt32ToFloat32", CastToFloat32<int32_t, cpu::cast_to_float32>);
  Export(ref, "castInt32ToFloat32", CastToFloat32<int32_t, ref::cast_to_float32>);
  Export(exports, "castFloat32ToInt32", CastFloat32ToInt32<cpu::cast_float32_to_int32>);
  Export(ref, "castFloat32ToInt32", CastFloat32ToInt32<ref::cast_float32_to_int32>);
}

}  // namespace graft::binding
