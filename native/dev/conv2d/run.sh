#!/usr/bin/env bash
# Builds and runs the conv2d sandbox: native/dev/conv2d/run.sh [threads]
# Validates every version against ref::conv2d_*, then prints milliseconds and GFLOP/s per shape.
set -euo pipefail
. "$(dirname "$0")/../common.sh" conv2d
for f in "$src"/cpu/gemm_avx2.cc; do g++ "${flags[@]}" -mavx2 -mfma -mf16c -c "$f" -o "$out/$(basename "$f" .cc).o"; done
for f in "$src"/cpu/*_avx512.cc; do
  case $(basename "$f") in gemm*|conv2d*) g++ "${flags[@]}" "${avx512[@]}" \
    -c "$f" -o "$out/$(basename "$f" .cc).o";; esac
done
g++ "${flags[@]}" "$here"/*.cc "$src"/common/*.cc "$src"/ref/conv2d.cc $(ls "$src"/cpu/conv2d*.cc | grep -v _avx512) \
  $(ls "$src"/cpu/gemm*.cc | grep -v -e _avx2 -e _avx512) "$out"/*_avx2.o "$out"/*_avx512.o -o "$out/conv2d-dev" -lpthread
GRAFT_NUM_THREADS=${1:-2} "$out/conv2d-dev"
