// CUDA reductions (graft/reduce.h): x (O,R,I) -> y (O,I), with the CPU's semantics (src/cpu/reduce.cc):
// sums and products in double, mean of an empty dim NaN, max/min propagate NaN, arg* return the first
// index (the first NaN wins). Each line runs in a fixed order (cuda/line.cuh): results are reproducible.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/line.cuh"
#include "graft/cuda_ops.h"

namespace graft::cuda {
namespace {

struct Mul { __device__ double operator()(double a, double b) const { return a * b; } };

// (value, nan seen) for max/min: NaN anywhere gives NaN; otherwise comparisons are exact, so any order works.
struct Extreme {
  float value;
  bool nan;
};
struct CombineExtreme {
  bool max;
  __device__ Extreme operator()(Extreme a, Extreme b) const {
    return Extreme{max ? (b.value > a.value ? b.value : a.value) : (b.value < a.value ? b.value : a.value), a.nan || b.nan};
  }
};

// (value, index) for argmax/argmin: a NaN beats any number, then the better value, then the lower index.
// This is associative and commutative, so the tree gives the CPU's "first index" answer.
struct Candidate {
  float value;
  int64_t index;
};
struct CombineCandidate {
  bool max;
  __device__ Candidate operator()(Candidate a, Candidate b) const {
    const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
    if (a_nan || b_nan) return a_nan && (!b_nan || a.index < b.index) ? a : b;
    if (a.value == b.value) return a.index < b.index ? a : b;
    return (max ? b.value > a.value : b.value < a.value) ? b : a;
  }
};

template <typename Co>
__global__ void accumulate_kernel(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y) {
  const bool add = op == ReduceOp::Sum || op == ReduceOp::Mean;
  for (int64_t line = Co::line(); line < outer * inner; line += Co::line_step()) {
    const LineAt at(line, r, inner);
    double acc = add ? 0.0 : 1.0;
    for (int64_t k = Co::first(); k < r; k += Co::step()) acc = add ? acc + double(x[at[k]]) : acc * double(x[at[k]]);
    acc = add ? Co::all(acc, AddDoubles{}) : Co::all(acc, Mul{});
    if (Co::first() == 0)
      y[line] = op == ReduceOp::Mean ? (r == 0 ? __int_as_float(0x7fc00000) : float(acc / double(r))) : float(acc);
  }
}

template <typename Co>
__global__ void extreme_kernel(bool max, const float* x, int64_t outer, int64_t r, int64_t inner, float* y) {
  for (int64_t line = Co::line(); line < outer * inner; line += Co::line_step()) {
    const LineAt at(line, r, inner);
    Extreme e{max ? -INFINITY : INFINITY, false};
    for (int64_t k = Co::first(); k < r; k += Co::step()) e = CombineExtreme{max}(e, Extreme{x[at[k]], x[at[k]] != x[at[k]]});
    e = Co::all(e, CombineExtreme{max});
    if (Co::first() == 0) y[line] = e.nan ? __int_as_float(0x7fc00000) : e.value;
  }
}

template <typename Co>
__global__ void arg_kernel(bool max, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y) {
  for (int64_t line = Co::line(); line < outer * inner; line += Co::line_step()) {
    const LineAt at(line, r, inner);
    Candidate best{x[at[0]], 0};  // r > 0 (the binding checks)
    for (int64_t k = Co::first(); k < r; k += Co::step()) best = CombineCandidate{max}(best, Candidate{x[at[k]], k});
    best = Co::all(best, CombineCandidate{max});
    if (Co::first() == 0) y[line] = static_cast<int32_t>(best.index);
  }
}

template <typename Co>
void launch(const char* op_name, ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y,
            cudaStream_t stream) {
  const unsigned int blocks = Co::blocks(outer * inner);
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    extreme_kernel<Co><<<blocks, kLineThreads, 0, stream>>>(op == ReduceOp::Max, x, outer, r, inner, y);
    GRAFT_CUDA_CHECK_LAUNCH(op_name, extreme_kernel);
  } else {
    accumulate_kernel<Co><<<blocks, kLineThreads, 0, stream>>>(op, x, outer, r, inner, y);
    GRAFT_CUDA_CHECK_LAUNCH(op_name, accumulate_kernel);
  }
}

}  // namespace

void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* y, int device) {
  cudaStream_t stream = stream_for("cudaReduce", device);
  if (outer == 0 || inner == 0) return;
  if (inner == 1)
    with_row_line(r, [&](auto co) { launch<decltype(co)>("cudaReduce", op, x, outer, r, inner, y, stream); });
  else
    launch<ThreadLine>("cudaReduce", op, x, outer, r, inner, y, stream);
}

void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, int32_t* y, int device) {
  cudaStream_t stream = stream_for("cudaArgReduce", device);
  if (outer == 0 || inner == 0) return;
  if (r == 0) throw Error("cudaArgReduce: the reduced dim is empty");
  const bool max = op == ArgReduceOp::Argmax;
  const auto run = [&](auto co) {
    using Co = decltype(co);
    arg_kernel<Co><<<Co::blocks(outer * inner), kLineThreads, 0, stream>>>(max, x, outer, r, inner, y);
    GRAFT_CUDA_CHECK_LAUNCH("cudaArgReduce", arg_kernel);
  };
  if (inner == 1) with_row_line(r, run);
  else run(ThreadLine{});
}

}  // namespace graft::cuda
