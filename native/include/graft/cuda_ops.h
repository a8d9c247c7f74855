// CUDA kernels: the same op names and parameter structs as the CPU side (graft/gemm.h, conv2d.h, elementwise.h,
// lerp.h, reduce.h, softmax.h, loss.h, norm.h, optim.h, random.h), over device pointers, on `device`.
// Every entry point queues work on the device's one stream and returns; graft::cuda::download()
// and synchronize() wait. Errors throw graft::Error naming the op ("cudaGemm: ...").
// src/cuda_stub/ gives the same entry points, throwing "built without CUDA".
#pragma once

#include <cstdint>

#include "graft/conv2d.h"
#include "graft/elementwise.h"
#include "graft/gemm.h"
#include "graft/indexing.h"
#include "graft/lerp.h"
#include "graft/loss.h"
#include "graft/norm.h"
#include "graft/optim.h"
#include "graft/pool.h"
#include "graft/random.h"
#include "graft/reduce.h"
#include "graft/softmax.h"

namespace graft::cuda {

// How gemm multiplies: float32 FMA on CUDA cores, or tensor cores (compute capability >= 8.0) with
// inputs rounded to TF32 (10-bit mantissa) or BF16 (7-bit mantissa) and float32 accumulation.
enum class Precision { Float32, Tf32, Bf16 };
const char* precision_name(Precision precision);

void gemm(const GemmParams& p, const float* a, const float* b, float* c, Precision precision, int device);

// Implicit GEMM (no im2col buffer); bias and dbias may be null. Outputs are overwritten. Precision as gemm's:
// Float32 on CUDA cores, Tf32 or Bf16 inputs with float32 accumulation on tensor cores.
void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                    Precision precision, int device);
void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx, Precision precision,
                          int device);
void conv2d_backward_weight(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* dbias,
                            Precision precision, int device);

void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n, int device);
void unary_backward(UnaryOp op, const UnaryParams& p, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n, int device);
void binary(BinaryOp op, const Dims& shape, const float* a, const Dims& a_strides, const float* b,
            const Dims& b_strides, float* out, int device);
void lerp(const LerpParams& p, const float* a, const float* b, const float* w, float* out, int device);

// x (O,R,I) -> y (O,I); arg_reduce needs R > 0. Each output's order of accumulation depends only on the shape.
void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y, int device);
void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y, int device);

// x, y, dy, dx (O,D,I), along D.
void softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, int device);
void log_softmax(const float* x, int64_t outer, int64_t d, int64_t inner, float* y, int device);
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx, int device);
void log_softmax_backward(const float* y, const float* dy, int64_t outer, int64_t d, int64_t inner, float* dx,
                          int device);

// Cross-entropy; the pointers inside the args are device pointers (targets: int32 values). Targets are not
// read back: one outside [0, C) that is not ignore_index makes its row's loss and gradients NaN.
void cross_entropy(const CrossEntropyArgs& a, int device);

// Batch norm and layer norm; the pointers inside the args are device pointers.
void batch_norm_train(const BatchNormTrainArgs& a, int device);
void batch_norm_eval(const BatchNormEvalArgs& a, int device);
void batch_norm_backward(const BatchNormBackwardArgs& a, int device);
void batch_norm_backward_eval(const BatchNormBackwardEvalArgs& a, int device);
void layer_norm(const LayerNormArgs& a, int device);
void layer_norm_backward(const LayerNormBackwardArgs& a, int device);

// The pointers inside the args are device pointers.
void sgd_step(const SgdArgs& a, int device);
void adam_step(const AdamArgs& a, int device);
// grads[i] are device pointers of sizes[i] floats (the arrays themselves are on the host). The norm is
// computed on the device in a fixed order (independent of timing), read back, and the scale applied
// on the device; returns the total norm before clipping, as ref::clip_grad_norm does.
double clip_grad_norm(float* const* grads, const int64_t* sizes, int64_t count, double max_norm,
                      double norm_type, int device);

// The stream mapping of graft/random.h, so a (seed, offset) gives the CPU's numbers: uniform and
// bernoulli bit for bit; normal to within the last bit of float32 (device sin/cos/log round
// differently from the host's in rare cases).
void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high, int device);
void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double std, int device);
void random_bernoulli(float* out, int64_t n, double p, uint64_t seed, uint64_t offset, int device);

// ---- tensor plumbing: any dtype, elements of 1, 2, 4 or 8 bytes ---------------------------------
// fill: every element of out (n) = the low elem_size bytes of `bits` (the value already encoded).
void fill(void* out, int64_t n, int elem_size, uint64_t bits, int device);
// dst view = src view of `shape` (strides in elements; views must not overlap).
void strided_copy(const Dims& shape, const void* src, const Dims& src_strides, void* dst, const Dims& dst_strides,
                  int elem_size, int device);
// Packed conversion of n elements, with the CPU's rules: integers and bools to float times `scale`;
// float to integer truncates toward zero (NaN -> 0, saturating for int32, wrapping to the low byte for uint8);
// to bool is x != 0; float16/bfloat16 round to nearest even.
enum class DType { Float32, Int32, Int64, Uint8, Bool, Float16, Bfloat16 };
void cast(const void* src, DType from, void* dst, DType to, int64_t n, double scale, int device);
// out (shape, packed) = cond != 0 ? a : b, each input a strided float32 view of `shape`.
void where(const Dims& shape, const float* cond, const Dims& cond_strides, const float* a, const Dims& a_strides,
           const float* b, const Dims& b_strides, float* out, int device);

// ---- pooling (graft/pool.h layouts and semantics; backward overwrites dx and gathers, so it is
// deterministic; max-pool indices outside their plane are skipped rather than checked on the host) ----
void max_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* indices, int device);
void max_pool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* indices, float* dx, int device);
void avg_pool2d_forward(const Pool2dParams& p, const float* x, float* y, int device);
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx, int device);
void adaptive_avg_pool2d_forward(const AdaptivePool2dParams& p, const float* x, float* y, int device);
void adaptive_avg_pool2d_backward(const AdaptivePool2dParams& p, const float* dy, float* dx, int device);

// ---- indexing (graft/indexing.h layouts). Indices are not read back: select/gather write NaN for an
// index outside [0, N), the adds skip it. index_add and scatter_add add with atomics, so the order of
// additions into one destination (and its last bits) may change from run to run. ----
void index_select(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* indices, int64_t m, float* y,
                  int device);
void index_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* indices, int64_t n, float* dx,
               int device);
void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* index, int64_t m, float* y,
            int device);
void scatter_add(const float* dy, int64_t outer, int64_t m, int64_t inner, const int32_t* index, int64_t n, float* dx,
                 int device);
// out (count, classes) overwritten; a label outside [0, classes) gives a row of NaN.
void one_hot(const int32_t* labels, int64_t count, int64_t classes, float* out, int device);

// ---- dropout (graft/random.h): the CPU's mask bit for bit for the same (seed, offset) ----
void dropout(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed, uint64_t offset, int device);
void dropout_backward(const float* dy, const uint8_t* mask, int64_t n, double p, float* dx, int device);

// ---- binary cross-entropy with logits (graft/loss.h); the pointers inside the args are device pointers ----
void bce_with_logits(const BceWithLogitsArgs& a, int device);

}  // namespace graft::cuda
