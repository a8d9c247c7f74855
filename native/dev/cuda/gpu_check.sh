#!/usr/bin/env bash
# Everything the GEMM work needs from one GPU session, in one command (logs in $OUT, summary last):
#   1. native/dev/cuda/run.sh: the sandbox's checks and timings beside cuBLAS;
#   2. the addon built with CUDA into native/build-gpu;
#   3. native/test/cuda_gemm.test.ts against that addon;
#   4. the cuda_gemm benchmark suite (Graft beside PyTorch/cuBLAS in the same run).
# Needs node 20 and node_modules (on the lent machines: `. .devcarry/setup.sh` first) and native/dist
# (`npx tsc -b native`).
#   native/dev/cuda/gpu_check.sh [sizes, default 1024,4096,8192]
set -uo pipefail
cd "$(dirname "$0")/../../.."
out=${OUT:-/tmp/gemm_gpu_check}
mkdir -p "$out"
sizes=${1:-1024,4096,8192}
OUT="$out" native/dev/cuda/run.sh "$sizes" >"$out/sandbox.txt" 2>&1 &
sandbox=$!
GRAFT_CUDA=ON node node_modules/cmake-js/bin/cmake-js compile --directory native --out native/build-gpu \
  --config Release --CDGRAFT_CUDA=ON --parallel 12 >"$out/addon_build.log" 2>&1
echo "addon build: exit $?"
wait "$sandbox"
addon=$PWD/native/build-gpu/Release/graft.node
GRAFT_ADDON_PATH=$addon node node_modules/vitest/vitest.mjs run native/test/cuda_gemm.test.ts >"$out/vitest.log" 2>&1
echo "vitest cuda_gemm: exit $?"; grep -E "Tests |Test Files" "$out/vitest.log"
GRAFT_ADDON_PATH=$addon node benchmarks/run.mjs cuda_gemm --sizes "$sizes" >"$out/bench.log" 2>&1
echo "benchmark cuda_gemm: exit $?"
tail -25 "$out/bench.log"
echo "== sandbox"
tail -40 "$out/sandbox.txt"
