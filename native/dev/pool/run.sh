#!/usr/bin/env bash
# Builds and runs the max-pool sandbox: native/dev/pool/run.sh [threads]
set -euo pipefail
. "$(dirname "$0")/../common.sh" pool
g++ "${flags[@]}" "${avx512[@]}" -c "$src"/cpu/pool_avx512.cc -o "$out/pool_avx512.o"
g++ "${flags[@]}" "$here"/main.cc "$src"/common/*.cc "$src"/ref/pool.cc "$src"/cpu/pool.cc "$out/pool_avx512.o" \
  -o "$out/pool-dev" -lpthread
GRAFT_NUM_THREADS=${1:-2} "$out/pool-dev"
