#!/usr/bin/env bash
# Builds and runs the GEMM sandbox: native/dev/gemm/run.sh [threads] [sizes...]
set -euo pipefail
. "$(dirname "$0")/../common.sh" gemm
blas=()
if [ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ]; then blas=(-DGRAFT_DEV_OPENBLAS -lopenblas); fi
g++ "${flags[@]}" -mavx2 -mfma -mf16c -c "$src/cpu/gemm_avx2.cc" -o "$out/gemm_avx2.o"
g++ "${flags[@]}" "${avx512[@]}" -c "$src/cpu/gemm_avx512.cc" -o "$out/gemm_avx512.o"
g++ "${flags[@]}" "$here"/*.cc "$src"/common/*.cc "$src"/ref/gemm.cc \
  $(ls "$src"/cpu/gemm*.cc | grep -v -e _avx2 -e _avx512) "$out/gemm_avx2.o" "$out/gemm_avx512.o" -o "$out/gemm-dev" \
  -lpthread "${blas[@]}"
OPENBLAS_NUM_THREADS=${1:-2} "$out/gemm-dev" "$@"
