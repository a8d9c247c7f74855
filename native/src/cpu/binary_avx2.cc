// AVX2 build of the binary row loops: the code is binary_ops.h's, compiled here with -mavx2 -mfma so
// that the contiguous and broadcast loops vectorise 8 lanes wide. Chosen at run time by binary.cc.
#include "cpu/binary_avx2.h"

#include "cpu/binary_ops.h"

namespace graft::cpu::avx2 {

void binary_row(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t so,
                int64_t n) {
  binary_row_any(op, a, sa, b, sb, out, so, n);
}

}  // namespace graft::cpu::avx2
