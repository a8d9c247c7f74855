#!/usr/bin/env bash
# GEMM sandbox on a GPU machine: builds the variants of src/cuda/gemm*.cu named below (compile-time knobs),
# runs each one's checks and timings beside cuBLAS, and prints the tables last. Logs go to $OUT.
#   native/dev/cuda/run.sh [bench sizes, default 1024,4096,8192]
set -uo pipefail
cd "$(dirname "$0")/../../.."
out=${OUT:-/tmp/gemm_dev}
mkdir -p "$out"
sizes=${1:-1024,4096,8192}
inc=$(find / -name cublas_v2.h -not -path '/proc/*' 2>/dev/null | head -1)
lib=$(find / -name 'libcublas.so*' -not -path '/proc/*' 2>/dev/null | grep -v Lt | head -1)
blas=()
[ -n "$inc" ] && [ -n "$lib" ] && blas=(-I"$(dirname "$inc")" "$lib" -Xlinker -rpath -Xlinker "$(dirname "$lib")")
echo "cuBLAS: ${inc:-none} ${lib:-none}"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$out/gpu.txt"
nvcc --version | tail -1
srcs=(native/dev/cuda/gemm.cu native/src/cuda/gemm.cu native/src/cuda/gemm_f32.cu native/src/cuda/gemm_mma.cu
      native/src/cuda/runtime.cu native/src/cuda/allocator.cu native/src/cuda/memory.cu)
declare -A variants=(
  [a]=""  # the defaults in src/: float32 1 block/SM (no spills); mma 3 stages, 2 blocks/SM (128 registers)
  [b]="-DGRAFT_GEMM_F32_MIN_BLOCKS=2 -DGRAFT_GEMM_MMA_STAGES=4 -DGRAFT_GEMM_MMA_MIN_BLOCKS=1"
  [c]="-DGRAFT_GEMM_MMA_STAGES=3 -DGRAFT_GEMM_MMA_MIN_BLOCKS=1"
)
for v in "${!variants[@]}"; do
  nvcc -std=c++17 -O3 --expt-relaxed-constexpr -gencode=arch=compute_90,code=sm_90 -Xptxas -v ${variants[$v]} \
    -Inative/include -Inative/src "${srcs[@]}" "${blas[@]}" -o "$out/gemm_dev_$v" >"$out/build_$v.log" 2>&1 &
done
wait
for v in $(echo "${!variants[@]}" | tr ' ' '\n' | sort); do
  [ -x "$out/gemm_dev_$v" ] || { echo "variant $v failed to build"; tail -20 "$out/build_$v.log"; continue; }
  cuobjdump -sass "$out/gemm_dev_$v" 2>/dev/null | grep -oE "\b(HMMA|FFMA|LDSM|LDS|LDGSTS|LDG|LDL|STL)\b[.A-Z0-9]*" \
    | sort | uniq -c >"$out/sass_$v.txt"
  echo "== variant $v: ${variants[$v]}"
  "$out/gemm_dev_$v" check bench "$sizes" >"$out/run_$v.log" 2>&1
  echo "exit $?"; grep -E "^check|FAIL|passed" "$out/run_$v.log"
  rm -f "$out/gemm_dev_$v"
done
for v in $(echo "${!variants[@]}" | tr ' ' '\n' | sort); do
  echo "== variant $v"; sed -n '/^$/,$p' "$out/run_$v.log" | grep -E "N="
done
