// Stub CUDA kernels (graft/cuda_ops.h): every entry point throws "<op>: Graft was built without CUDA ...".
#include <string>

#include "graft/cuda.h"
#include "graft/cuda_ops.h"
#include "graft/runtime.h"

namespace graft::cuda {
namespace {
[[noreturn]] void unavailable(const char* op) { throw Error(std::string(op) + ": " + unavailable_reason()); }
}  // namespace

const char* precision_name(Precision precision) {
  return precision == Precision::Float32 ? "float32" : precision == Precision::Tf32 ? "tf32" : "bf16";
}

void gemm(const GemmParams&, const float*, const float*, float*, Precision, int) { unavailable("cudaGemm"); }

void conv2d_forward(const Conv2dParams&, const float*, const float*, const float*, float*, Precision, int) {
  unavailable("cudaConv2dForward");
}
void conv2d_backward_data(const Conv2dParams&, const float*, const float*, float*, Precision, int) {
  unavailable("cudaConv2dBackwardData");
}
void conv2d_backward_weight(const Conv2dParams&, const float*, const float*, float*, float*, Precision, int) {
  unavailable("cudaConv2dBackwardWeight");
}

void unary(UnaryOp, const UnaryParams&, const float*, float*, int64_t, int) { unavailable("cudaUnary"); }
void unary_backward(UnaryOp, const UnaryParams&, const float*, const float*, const float*, float*, int64_t, int) {
  unavailable("cudaUnaryBackward");
}
void binary(BinaryOp, const Dims&, const float*, const Dims&, const float*, const Dims&, float*, int) {
  unavailable("cudaBinary");
}
void lerp(const LerpParams&, const float*, const float*, const float*, float*, int) { unavailable("cudaLerp"); }

void reduce(ReduceOp, const float*, int64_t, int64_t, int64_t, float*, int) { unavailable("cudaReduce"); }
void arg_reduce(ArgReduceOp, const float*, int64_t, int64_t, int64_t, int32_t*, int) { unavailable("cudaArgReduce"); }

void softmax(const float*, int64_t, int64_t, int64_t, float*, int) { unavailable("cudaSoftmax"); }
void log_softmax(const float*, int64_t, int64_t, int64_t, float*, int) { unavailable("cudaLogSoftmax"); }
void softmax_backward(const float*, const float*, int64_t, int64_t, int64_t, float*, int) {
  unavailable("cudaSoftmaxBackward");
}
void log_softmax_backward(const float*, const float*, int64_t, int64_t, int64_t, float*, int) {
  unavailable("cudaLogSoftmaxBackward");
}

void cross_entropy(const CrossEntropyArgs&, int) { unavailable("cudaCrossEntropy"); }

void batch_norm_train(const BatchNormTrainArgs&, int) { unavailable("cudaBatchNormTrain"); }
void batch_norm_eval(const BatchNormEvalArgs&, int) { unavailable("cudaBatchNormEval"); }
void batch_norm_backward(const BatchNormBackwardArgs&, int) { unavailable("cudaBatchNormBackward"); }
void batch_norm_backward_eval(const BatchNormBackwardEvalArgs&, int) { unavailable("cudaBatchNormBackwardEval"); }
void layer_norm(const LayerNormArgs&, int) { unavailable("cudaLayerNorm"); }
void layer_norm_backward(const LayerNormBackwardArgs&, int) { unavailable("cudaLayerNormBackward"); }

void sgd_step(const SgdArgs&, int) { unavailable("cudaSgdStep"); }
void adam_step(const AdamArgs&, int) { unavailable("cudaAdamStep"); }
double clip_grad_norm(float* const*, const int64_t*, int64_t, double, double, int) { unavailable("cudaClipGradNorm"); }

void random_uniform(float*, int64_t, uint64_t, uint64_t, double, double, int) { unavailable("cudaRandomUniform"); }
void random_normal(float*, int64_t, uint64_t, uint64_t, double, double, int) { unavailable("cudaRandomNormal"); }
void random_bernoulli(float*, int64_t, double, uint64_t, uint64_t, int) { unavailable("cudaRandomBernoulli"); }

void fill(void*, int64_t, int, uint64_t, int) { unavailable("cudaFill"); }
void strided_copy(const Dims&, const void*, const Dims&, void*, const Dims&, int, int) { unavailable("cudaStridedCopy"); }
void cast(const void*, DType, void*, DType, int64_t, double, int) { unavailable("cudaCast"); }
void where(const Dims&, const float*, const Dims&, const float*, const Dims&, const float*, const Dims&, float*, int) {
  unavailable("cudaWhere");
}

void max_pool2d_forward(const Pool2dParams&, const float*, float*, int32_t*, int) { unavailable("cudaMaxPool2dForward"); }
void max_pool2d_backward(const Pool2dParams&, const float*, const int32_t*, float*, int) {
  unavailable("cudaMaxPool2dBackward");
}
void avg_pool2d_forward(const Pool2dParams&, const float*, float*, int) { unavailable("cudaAvgPool2dForward"); }
void avg_pool2d_backward(const Pool2dParams&, const float*, float*, int) { unavailable("cudaAvgPool2dBackward"); }
void adaptive_avg_pool2d_forward(const AdaptivePool2dParams&, const float*, float*, int) {
  unavailable("cudaAdaptiveAvgPool2dForward");
}
void adaptive_avg_pool2d_backward(const AdaptivePool2dParams&, const float*, float*, int) {
  unavailable("cudaAdaptiveAvgPool2dBackward");
}

void index_select(const float*, int64_t, int64_t, int64_t, const int32_t*, int64_t, float*, int) {
  unavailable("cudaIndexSelect");
}
void index_add(const float*, int64_t, int64_t, int64_t, const int32_t*, int64_t, float*, int) { unavailable("cudaIndexAdd"); }
void gather(const float*, int64_t, int64_t, int64_t, const int32_t*, int64_t, float*, int) { unavailable("cudaGather"); }
void scatter_add(const float*, int64_t, int64_t, int64_t, const int32_t*, int64_t, float*, int) {
  unavailable("cudaScatterAdd");
}
void one_hot(const int32_t*, int64_t, int64_t, float*, int) { unavailable("cudaOneHot"); }

void dropout(const float*, float*, uint8_t*, int64_t, double, uint64_t, uint64_t, int) { unavailable("cudaDropout"); }
void dropout_backward(const float*, const uint8_t*, int64_t, double, float*, int) { unavailable("cudaDropoutBackward"); }

void bce_with_logits(const BceWithLogitsArgs&, int) { unavailable("cudaBceWithLogits"); }

}  // namespace graft::cuda
