#!/usr/bin/env bash
# Builds and runs the max-pool sandbox: native/dev/pool/run.sh [threads]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
out=$here/../../build-dev-pool
mkdir -p "$out"
g++ -std=c++17 -O3 -I"$here/../../include" -I"$src" "$here"/main.cc "$src"/common/*.cc "$src"/ref/pool.cc \
  "$src"/cpu/pool.cc -o "$out/pool-dev" -lpthread
GRAFT_NUM_THREADS=${1:-2} "$out/pool-dev"
