#!/usr/bin/env bash
# Builds and runs the max-pool sandbox: native/dev/pool/run.sh [threads]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
out=$here/../../build-dev-pool
mkdir -p "$out"
flags=(-std=c++17 -O3 -I"$here/../../include" -I"$src")
g++ "${flags[@]}" -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -c "$src"/cpu/pool_avx512.cc -o "$out/pool_avx512.o"
g++ "${flags[@]}" "$here"/main.cc "$src"/common/*.cc "$src"/ref/pool.cc "$src"/cpu/pool.cc "$out/pool_avx512.o" \
  -o "$out/pool-dev" -lpthread
GRAFT_NUM_THREADS=${1:-2} "$out/pool-dev"
