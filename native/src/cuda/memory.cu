// Host <-> device copies on the device's stream. Uploads wait for the copy so the caller's (pageable,
// garbage-collected) host memory is never read after return; downloads wait because the host reads.
#include <cuda_runtime.h>

#include "cuda/cuda_check.cuh"
#include "graft/cuda.h"

namespace graft::cuda {

void upload(const char* op, int device, void* dst, const void* src, size_t bytes) {
  cudaStream_t stream = stream_for(op, device);
  if (bytes == 0) return;
  GRAFT_CUDA_CHECK(op, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
  GRAFT_CUDA_CHECK(op, cudaStreamSynchronize(stream));
}

void download(const char* op, int device, void* dst, const void* src, size_t bytes) {
  cudaStream_t stream = stream_for(op, device);
  if (bytes == 0) return;
  GRAFT_CUDA_CHECK(op, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
  GRAFT_CUDA_CHECK(op, cudaStreamSynchronize(stream));  // the host reads dst next
}

}  // namespace graft::cuda
