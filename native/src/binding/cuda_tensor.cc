// Tensor plumbing on the device, any dtype (element sizes 1, 2, 4, 8 bytes); buffers or slices:
//   cudaFill(out, elemSize, lo32, hi32)                  every element = the encoded bits (hi32 for 8-byte elements)
//   cudaStridedCopy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides, elemSize)   offsets in elements
//   cudaCast(src, from, dst, to, n, scale)               dtype names as in @graft/core
//   cudaWhere(shape, cond, cOffset, cStrides, a, aOffset, aStrides, b, bOffset, bStrides, out)  float32
#include <string>
#include <utility>

#include "binding/cuda_buffer.h"
#include "binding/strided_args.h"
#include "graft/cuda_ops.h"

namespace graft::binding {
namespace {

int read_elem_size(const Args& args, size_t i) {
  const int64_t size = args.integer(i, "elemSize", 1);
  if (size != 1 && size != 2 && size != 4 && size != 8) args.fail("argument 'elemSize' must be 1, 2, 4 or 8");
  return static_cast<int>(size);
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args args(info, "cudaFill");
  args.expect_count(4);
  const DeviceBytes out = device_bytes(info, args, 0, "out");
  const int size = read_elem_size(args, 1);
  const int64_t lo = args.integer(2, "lo32"), hi = args.integer(3, "hi32");
  if (lo > 0xffffffffLL || hi > 0xffffffffLL) args.fail("arguments 'lo32' and 'hi32' must be 32-bit unsigned integers");
  if (out.bytes % size != 0) args.fail("argument 'out' holds " + std::to_string(out.bytes) + " bytes, not a whole number of elements");
  cuda::fill(out.data, out.bytes / size, size, (uint64_t(hi) << 32) | uint64_t(lo), out.device);
  return info.Env().Undefined();
}

struct ByteView {
  DeviceBytes buffer;
  uint8_t* first = nullptr;
  Dims strides;
};

ByteView read_byte_view(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name,
                        const char* offset_name, const char* strides_name, const Dims& shape, int size) {
  const DeviceBytes buffer = device_bytes(info, args, i, name);
  const int64_t offset = args.integer(i + 1, offset_name);
  Dims strides = read_strides(info, args, i + 2, strides_name, shape);
  require_view(args, Span<uint8_t>{buffer.data, buffer.bytes / size}, name, offset, shape, strides);
  return ByteView{buffer, buffer.data + (element_count(shape) == 0 ? 0 : offset * size), std::move(strides)};
}

Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  Args args(info, "cudaStridedCopy");
  args.expect_count(8);
  const int size = read_elem_size(args, 7);
  const Dims shape = read_view_shape(args, 0, "shape");
  const ByteView src = read_byte_view(info, args, 1, "src", "srcOffset", "srcStrides", shape, size);
  const ByteView dst = read_byte_view(info, args, 4, "dst", "dstOffset", "dstStrides", shape, size);
  if (src.buffer.device != dst.buffer.device)
    args.fail("argument 'dst' is on device " + std::to_string(dst.buffer.device) + " but 'src' is on device " +
              std::to_string(src.buffer.device));
  if (overlaps(view_extent_bytes(src.first, shape, src.strides, size), view_extent_bytes(dst.first, shape, dst.strides, size)))
    args.fail("the 'src' and 'dst' views share memory");
  cuda::strided_copy(shape, src.first, src.strides, dst.first, dst.strides, size, src.buffer.device);
  return info.Env().Undefined();
}

constexpr std::pair<const char*, cuda::DType> kDTypes[] = {
    {"float32", cuda::DType::Float32}, {"int32", cuda::DType::Int32},     {"int64", cuda::DType::Int64},
    {"uint8", cuda::DType::Uint8},     {"bool", cuda::DType::Bool},       {"float16", cuda::DType::Float16},
    {"bfloat16", cuda::DType::Bfloat16}};

std::pair<cuda::DType, int> read_dtype(const Args& args, size_t i, const char* name) {
  const std::string text = args.string(i, name);
  for (const auto& [key, dtype] : kDTypes) {
    if (text != key) continue;
    const int size = dtype == cuda::DType::Int64 ? 8 : dtype == cuda::DType::Float32 || dtype == cuda::DType::Int32 ? 4
                     : dtype == cuda::DType::Float16 || dtype == cuda::DType::Bfloat16                            ? 2
                                                                                                                  : 1;
    return {dtype, size};
  }
  args.fail("argument '" + std::string(name) + "' is '" + text +
            "', not one of float32, int32, int64, uint8, bool, float16, bfloat16");
}

Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args args(info, "cudaCast");
  args.expect_count(6);
  const DeviceBytes src = device_bytes(info, args, 0, "src"), dst = device_bytes(info, args, 2, "dst");
  const auto [from, from_size] = read_dtype(args, 1, "from");
  const auto [to, to_size] = read_dtype(args, 3, "to");
  const int64_t n = args.integer(4, "n");
  // The CPU kernels take the scale as float32: round it the same way.
  const double scale = static_cast<float>(args.number(5, "scale"));
  const std::string detail = "n=" + std::to_string(n);
  if (src.bytes / from_size < n) args.fail("argument 'src' holds fewer than " + detail + " elements");
  if (dst.bytes / to_size < n) args.fail("argument 'dst' holds fewer than " + detail + " elements");
  if (src.device != dst.device) args.fail("arguments 'src' and 'dst' are on different devices");
  if (n > 0) require_apart(args, dst.data, n * to_size, "dst", src.data, n * from_size, "src", from_size == to_size);
  cuda::cast(src.data, from, dst.data, to, n, scale, src.device);
  return info.Env().Undefined();
}

struct FloatView {
  DeviceFloats buffer;
  const float* first = nullptr;
  Dims strides;
};

FloatView read_float_view(const Napi::CallbackInfo& info, const Args& args, size_t i, const char* name,
                          const char* offset_name, const char* strides_name, const Dims& shape) {
  const DeviceFloats buffer = device_floats(info, args, i, name);
  const int64_t offset = args.integer(i + 1, offset_name);
  Dims strides = read_strides(info, args, i + 2, strides_name, shape);
  require_view(args, Span<float>{buffer.data, buffer.size}, name, offset, shape, strides);
  return FloatView{buffer, buffer.data + (element_count(shape) == 0 ? 0 : offset), std::move(strides)};
}

Napi::Value Where(const Napi::CallbackInfo& info) {
  Args args(info, "cudaWhere");
  args.expect_count(11);
  const Dims shape = read_view_shape(args, 0, "shape");
  const FloatView cond = read_float_view(info, args, 1, "cond", "condOffset", "condStrides", shape);
  const FloatView a = read_float_view(info, args, 4, "a", "aOffset", "aStrides", shape);
  const FloatView b = read_float_view(info, args, 7, "b", "bOffset", "bStrides", shape);
  const DeviceFloats out = device_floats(info, args, 10, "out");
  require_same_device(args, {{"out", out}, {"cond", cond.buffer}, {"a", a.buffer}, {"b", b.buffer}});
  require_device_size(args, out, "out", element_count(shape), "shape " + shape_string(shape));
  if (element_count(shape) > 0) {
    const float* written = out.data;
    require_no_alias(args, cond.first, cond.strides, "cond", written, shape);
    require_no_alias(args, a.first, a.strides, "a", written, shape);
    require_no_alias(args, b.first, b.strides, "b", written, shape);
  }
  cuda::where(shape, cond.first, cond.strides, a.first, a.strides, b.first, b.strides, out.data, out.device);
  return info.Env().Undefined();
}

}  // namespace

GRAFT_BINDING(cuda_tensor) {
  Export(exports, "cudaFill", Fill);
  Export(exports, "cudaStridedCopy", StridedCopy);
  Export(exports, "cudaCast", Cast);
  Export(exports, "cudaWhere", Where);
}

}  // namespace graft::binding
