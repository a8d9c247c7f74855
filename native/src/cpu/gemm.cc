// CPU GEMM: a (M,K) or (K,M), b (K,N) or (N,K), c (M,N), row-major, strided batches.
//
// Goto/BLIS blocking: for each NC-wide column panel and each KC-deep slice of K, op(B)[pc, jc] is
// packed into NR-wide slivers and op(A) rows into MR-high slivers; a register micro-kernel
// (gemm_kernel.h) computes every MRxNR tile of C. A task takes a block of at most MC rows; one A
// sliver (MR x KC) stays in L1 while the kernel runs along a band of B slivers kept in L2, so C is
// written row-band by row-band, left to right. Edge tiles run on zero-padded slivers.
//
// Determinism: threads share out whole C tiles; K is cut at the same points whatever the thread
// count (only K and the instruction set's kernel decide them) and every tile runs the same
// operation sequence, so C has the same bits for 1 thread or many.
#include <algorithm>
#include <cstdlib>
#include <new>

#include "cpu/gemm_kernel.h"
#include "graft/gemm.h"
#include "graft/runtime.h"

namespace graft::cpu {
namespace {

using namespace gemm_detail;

// Tuned on a 2-core AMD EPYC (Zen 4: 32 KiB L1d, 1 MiB L2 per core) with native/dev/gemm.
// The deepest K slice is the kernel's (KernelSpec::kc). The AVX-512 kernel's 256 (an A sliver of
// 12 KiB in L1) measured 8-11% faster than 128 on two threads: each KC slice reads and writes all
// of C once, and C leaves the caches past N = 1024.
constexpr int64_t kMC = 96;         // rows of A per task at most (8 or 16 slivers): an A block of L2
constexpr int64_t kNC = 4096;       // columns of B per packed panel (KC x NC = 4 MiB)
constexpr int64_t kMChunk = 24 * kMC;  // rows of A packed at once, bounding that buffer to 2.3 MiB at KC = 256
// B slivers per band that the tiles of one A sliver run along: 16 x (KC x NR) = 512 KiB at KC = 256,
// half of L2 (32 measured 3-8% slower at N = 2048 and 4096).
constexpr int64_t kBandSlivers = 16;
// Below this many multiply-adds a GEMM runs on the calling thread: waking the pool costs more.
constexpr int64_t kSerialFlops = 96 * 96 * 96;

int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }
int64_t round_up(int64_t x, int64_t y) { return ceil_div(x, y) * y; }

// A grow-only 64-byte aligned scratch buffer, one per thread, reused across calls so small GEMMs
// pay no allocation.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* get(int64_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      const int64_t rounded = round_up(std::max<int64_t>(floats, 1024), 16);
      data_ = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(rounded) * sizeof(float)));
      if (!data_) {
        capacity_ = 0;
        throw Error("gemm: out of memory allocating " + std::to_string(rounded * 4) + " bytes of packing buffer");
      }
      capacity_ = rounded;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t capacity_ = 0;
};

// Where a thread-count-independent cut puts the K slices: ceil(K / KC) slices of equal depth.
int64_t k_step(int64_t k, int64_t kc) { return ceil_div(k, ceil_div(k, kc)); }

// The micro-kernel for the active instruction set.
const KernelSpec& kernel_spec() {
  static const KernelSpec avx512{kMR512, kNR512, 256, micro_kernel_avx512};
  static const KernelSpec avx2{kMR, kNR, 256, micro_kernel_avx2};
  static const KernelSpec generic{kMR, kNR, 256, micro_kernel_generic};
  return use_avx512() ? avx512 : use_avx2() ? avx2 : generic;
}

struct Problem {
  const GemmParams& p;
  const float* a;
  const float* b;
  float* c;
  const KernelSpec& ks;
  bool parallel;
};

// Runs fn over [0, n) on the pool when the problem is big enough, else on this thread.
template <typename Fn>
void for_range(bool parallel, int64_t n, const Fn& fn) {
  if (parallel) {
    parallel_for(0, n, 1, [&](int64_t lo, int64_t hi) { fn(lo, hi); });
  } else {
    fn(0, n);
  }
}

void pack_a_slivers(const Problem& pr, int64_t ic, int64_t mc, int64_t pc, int64_t kc, int64_t s_lo, int64_t s_hi,
                    float* ap) {
  const int MR = pr.ks.mr;
  for (int64_t s = s_lo; s < s_hi; ++s) {
    const int64_t i0 = ic + s * MR;
    pack_a_sliver(pr.a, pr.p.lda, pr.p.trans_a, i0, static_cast<int>(std::min<int64_t>(MR, ic + mc - i0)), pc, kc,
                  ap + s * kc * MR, MR);
  }
}

void pack_b_slivers(const Problem& pr, int64_t pc, int64_t kc, int64_t jc, int64_t nc, int64_t t_lo, int64_t t_hi,
                    float* bp) {
  const int NR = pr.ks.nr;
  for (int64_t t = t_lo; t < t_hi; ++t) {
    const int64_t j0 = jc + t * NR;
    pack_b_sliver(pr.b, pr.p.ldb, pr.p.trans_b, pc, kc, j0, static_cast<int>(std::min<int64_t>(NR, jc + nc - j0)),
                  bp + t * kc * NR, NR);
  }
}

// One (jc, pc, ic) step: pack op(B)[pc:pc+kc, jc:jc+nc] (when pack_b) and op(A)[ic:ic+mc, pc:pc+kc],
// then run every tile of C[ic:ic+mc, jc:jc+nc].
//
// Tasks are row blocks (at most kMC rows) times column groups. Within a task one A sliver stays in
// L1 while the micro-kernel runs along a band of B slivers (kBandSlivers, kept in L2), so each C
// tile row is written left to right and the next tile's C lines are the ones the prefetcher expects.
// When every task owns a whole row block (one column group), the task packs its own A slivers, which
// then sit in its core's L2 for the tiles that read them; otherwise A is packed with B beforehand.
void gemm_block(const Problem& pr, int64_t ic, int64_t mc, int64_t pc, int64_t kc, int64_t jc, int64_t nc,
                bool pack_b, float* ap, float* bp) {
  const GemmParams& p = pr.p;
  const int MR = pr.ks.mr, NR = pr.ks.nr;
  const int64_t a_slivers = ceil_div(mc, MR), b_slivers = ceil_div(nc, NR);
  const int64_t threads = pr.parallel ? num_threads() : 1;
  // Row blocks of near-equal height (at most kMC rows), as many as a multiple of the thread count:
  // blocks of one fixed height leave a short last block and one thread idle while another finishes.
  const int64_t row_blocks = std::min(a_slivers, round_up(ceil_div(a_slivers, kMC / MR), threads));
  // Columns are split only when there are too few row blocks to keep every thread busy.
  const int64_t col_groups = std::min(b_slivers, std::max<int64_t>(1, ceil_div(4 * threads, row_blocks)));
  const int64_t slivers_per_group = ceil_div(b_slivers, col_groups);
  const bool pack_a_in_task = col_groups == 1;
  const int64_t a_items = pack_a_in_task ? 0 : a_slivers;
  const int64_t pack_items = a_items + (pack_b ? b_slivers : 0);
  if (pack_items > 0) {
    for_range(pr.parallel, pack_items, [&](int64_t lo, int64_t hi) {
      pack_a_slivers(pr, ic, mc, pc, kc, std::min(lo, a_items), std::min(hi, a_items), ap);
      pack_b_slivers(pr, pc, kc, jc, nc, std::max(lo, a_items) - a_items, std::max(hi, a_items) - a_items, bp);
    });
  }
  const float beta = pc == 0 ? p.beta : 1.0f;
  for_range(pr.parallel, row_blocks * col_groups, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t rb = task / col_groups, cg = task % col_groups;
      const int64_t s_lo = rb * a_slivers / row_blocks, s_hi = (rb + 1) * a_slivers / row_blocks;
      const int64_t t_lo = cg * slivers_per_group, t_hi = std::min(b_slivers, t_lo + slivers_per_group);
      if (pack_a_in_task) pack_a_slivers(pr, ic, mc, pc, kc, s_lo, s_hi, ap);
      for (int64_t band = t_lo; band < t_hi; band += kBandSlivers) {
        const int64_t band_end = std::min(t_hi, band + kBandSlivers);
        for (int64_t s = s_lo; s < s_hi; ++s) {
          const int64_t i0 = ic + s * MR;
          const int mr = static_cast<int>(std::min<int64_t>(MR, ic + mc - i0));
          for (int64_t t = band; t < band_end; ++t) {
            const int64_t j0 = jc + t * NR;
            const int nr = static_cast<int>(std::min<int64_t>(NR, jc + nc - j0));
            pr.ks.fn(kc, ap + s * kc * MR, bp + t * kc * NR, pr.c + i0 * p.ldc + j0, p.ldc, mr, nr, p.alpha, beta);
          }
        }
      }
    }
  });
}

// c = beta * c for K == 0 (beta == 0 writes zeros without reading c).
void scale_c(const GemmParams& p, float* c) {
  for (int64_t i = 0; i < p.m; ++i) {
    float* row = c + i * p.ldc;
    for (int64_t j = 0; j < p.n; ++j) row[j] = p.beta == 0.0f ? 0.0f : p.beta * row[j];
  }
}

// One matrix of the batch.
void gemm_single(const Problem& pr) {
  const GemmParams& p = pr.p;
  if (p.k == 0) return scale_c(p, pr.c);
  thread_local Scratch a_scratch, b_scratch;
  const int64_t kstep = k_step(p.k, pr.ks.kc);
  const int64_t mchunk = std::min(round_up(p.m, pr.ks.mr), kMChunk);
  float* ap = a_scratch.get(mchunk * kstep);
  float* bp = b_scratch.get(std::min(round_up(p.n, pr.ks.nr), kNC) * kstep);
  for (int64_t jc = 0; jc < p.n; jc += kNC) {
    const int64_t nc = std::min(kNC, p.n - jc);
    for (int64_t pc = 0; pc < p.k; pc += kstep) {
      const int64_t kc = std::min(kstep, p.k - pc);
      for (int64_t ic = 0; ic < p.m; ic += kMChunk) {
        gemm_block(pr, ic, std::min(kMChunk, p.m - ic), pc, kc, jc, nc, ic == 0, ap, bp);
      }
    }
  }
}

}  // namespace

void gemm(const GemmParams& p, const float* a, const float* b, float* c) {
  if (p.m == 0 || p.n == 0 || p.batch == 0) return;
  const KernelSpec& kernel = kernel_spec();
  const int64_t flops = p.m * p.n * std::max<int64_t>(p.k, 1);
  const bool big = flops >= kSerialFlops;
  auto one = [&](int64_t i, bool parallel) {
    gemm_single(Problem{p, a + i * p.stride_a, b + i * p.stride_b, c + i * p.stride_c, kernel, parallel});
  };
  if (big || p.batch == 1) {
    for (int64_t i = 0; i < p.batch; ++i) one(i, big);
    return;
  }
  // Many small matrices: one matrix per task; each runs serially with its thread's own buffers.
  const int64_t grain = std::max<int64_t>(1, kSerialFlops / flops);
  parallel_for(0, p.batch, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) one(i, false);
  });
}

}  // namespace graft::cpu
