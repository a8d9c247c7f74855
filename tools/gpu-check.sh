#!/usr/bin/env bash
# The GPU check, in one command, from the repository root of a machine with an NVIDIA GPU (node 20 and
# node_modules installed; nvcc, cmake and g++ on PATH):
#
#   tools/gpu-check.sh                       builds the CUDA addon into native/build-gpu, then tests and benchmarks
#   GRAFT_ADDON_PATH=/x/graft.node tools/gpu-check.sh   uses a prebuilt CUDA addon instead of building
#
# Steps (each one's output in a log; a failing step is reported and the next one still runs):
#   1. the GPU, driver and toolkit (nvidia-smi, nvcc --version)
#   2. the addon: cmake-js with GRAFT_CUDA=ON (CMAKE_BUILD_PARALLEL_LEVEL defaults to 16)
#   3. the TypeScript builds the benchmarks import (native/dist, packages/core/dist)
#   4. what the addon sees (capabilities: CUDA devices, or why there are none)
#   5. every CUDA Vitest suite (native/test/cuda*.test.ts, packages/core/test/cuda*.test.ts), verbose;
#      then the TF32/BF16 GEMM and conv suites again on the mma.sync kernels (GRAFT_WGMMA=0: on Hopper the
#      first run took the wgmma ones), and the suites of kernels with 32- and 64-bit index paths with
#      GRAFT_CUDA_INDEX64=1; skipped with GPU_CHECK_TESTS=0
#   6. the main job on the GPU and on the CPU (`graft quickstart --device cuda|cpu --json`, all packages
#      built first): each method's accuracy side by side, failing when the two are more than 4 points apart;
#      skipped with GPU_CHECK_QUICKSTART=0 (the CPU run is most of this step's time)
#   7. benchmarks: train_cuda (ResNet-18 batch 128 at 224x224 and ResNet-20, Graft beside PyTorch eager,
#      float32 and conv TF32), cuda_gemm (each kernel: wgmma and mma.sync on Hopper), and conv --device
#      cuda (ResNet-18's layers at batch 128, every precision, beside cuDNN; on Hopper once more with
#      GRAFT_WGMMA=0 for the mma.sync kernels); skipped with GPU_CHECK_BENCH=0, or some of them with
#      GPU_CHECK_BENCH=train,gemm,conv (any of the three). GPU_CHECK_TILES=1 adds
#      the conv benchmark once more per block tile (GRAFT_CONV_TILE=64x64, 64x128, 128x128), to check the
#      automatic choice
# Logs go to $OUT when it is set, else to ${TMPDIR:-/tmp}/graft-gpu-check.
# Where one command may run 10 minutes at most, split it (the second call reuses the first one's build):
#   GPU_CHECK_QUICKSTART=0 GPU_CHECK_BENCH=0 tools/gpu-check.sh
#   GRAFT_ADDON_PATH=$PWD/native/build-gpu/Release/graft.node GPU_CHECK_TESTS=0 GPU_CHECK_QUICKSTART=0 tools/gpu-check.sh
# Exit status: 0 when every step passed, else 1; the summary at the end names the failed steps.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-${TMPDIR:-/tmp}/graft-gpu-check}
mkdir -p "$out"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-16}
failed=()
summary="$out/summary.txt"
: >"$summary"

step() {  # step NAME LOG COMMAND...: runs COMMAND, output to LOG (and its tail to the console)
  local name=$1 log=$2
  shift 2
  local start=$SECONDS
  echo "== $name" | tee -a "$summary"
  if "$@" >"$log" 2>&1; then
    echo "   ok ($((SECONDS - start)) s, log $log)" | tee -a "$summary"
  else
    local rc=$?
    echo "   FAILED with status $rc ($((SECONDS - start)) s, log $log); last lines:" | tee -a "$summary"
    tail -25 "$log" | sed 's/^/   | /' | tee -a "$summary"
    failed+=("$name")
  fi
}

gpu_info() {
  nvidia-smi || echo "nvidia-smi: not found"
  nvcc --version || echo "nvcc: not found"
  node --version
  git log -1 --format='commit %H %s'
}

build_addon() {
  node node_modules/cmake-js/bin/cmake-js compile --directory native --out native/build-gpu --config Release \
    --CDGRAFT_CUDA=ON
}

capabilities() {
  node --input-type=module -e "
    const n = await import('./native/dist/index.js');
    const c = n.capabilities();
    console.log(JSON.stringify(c, null, 2));
    if (c.cudaDevices.length === 0) { console.error('no CUDA device: ' + c.cudaUnavailableReason); process.exit(1); }"
}

cuda_tests() {
  npx vitest run native/test/cuda*.test.ts packages/core/test/cuda.test.ts packages/core/test/cuda_parity.test.ts --reporter=verbose \
    --reporter=json --outputFile.json="$out/vitest-cuda.json" || return 1
  GRAFT_WGMMA=0 npx vitest run native/test/cuda_gemm.test.ts native/test/cuda_conv.test.ts \
    -t 'cudaGemm \((tf32|bf16)\)|tensor-core GEMM kernels|implicit GEMM, (tf32|bf16)|block tiles \((tf32|bf16)\)' || return 1
  GRAFT_CUDA_INDEX64=1 npx vitest run native/test/cuda_gemm.test.ts native/test/cuda_conv.test.ts native/test/cuda_tensor.test.ts \
    native/test/cuda_elementwise.test.ts native/test/cuda_train.test.ts -t 'implicit GEMM, float32|block tiles|pooling|plumbing|cuda elementwise|cuda batch norm|cuda indexing|cuda cross-entropy'
}

# The quickstart on the GPU and on the CPU, and each method's test accuracy side by side. The two differ
# only by float32 rounding (other summation orders), which moves a seeded 50-label run by a point or two;
# more than 4 points apart means the GPU path computes something else.
quickstart_on_gpu() {
  npm run build --silent || return 1
  for device in cuda cpu; do
    echo "-- quickstart --device $device"
    time node packages/cli/dist/bin.js quickstart --device "$device" --json --output-dir "$out/quickstart-$device" \
      >"$out/quickstart-$device.json" || return 1
  done
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    const read = (d) => JSON.parse(readFileSync('$out/quickstart-' + d + '.json', 'utf8')).methods;
    const [gpu, cpu] = [read('cuda'), read('cpu')];
    let bad = 0;
    for (const [i, m] of gpu.entries()) {
      const gap = Math.abs(m.testAccuracy - cpu[i].testAccuracy);
      console.log(m.method.padEnd(14), 'cuda', (100 * m.testAccuracy).toFixed(1), 'cpu', (100 * cpu[i].testAccuracy).toFixed(1),
        'seconds', m.seconds.toFixed(1), cpu[i].seconds.toFixed(1));
      if (!(gap <= 0.04)) bad++;
    }
    process.exit(bad ? 1 : 0);"
}

# Whether GPU_CHECK_BENCH (1: all) names benchmark $1 (train, gemm or conv).
bench_wanted() {
  local wanted=${GPU_CHECK_BENCH:-1}
  [[ "$wanted" == 1 || ",$wanted," == *",$1,"* ]]
}

benchmarks() {
  if bench_wanted train; then node benchmarks/run.mjs train_cuda || return 1; fi
  if bench_wanted gemm; then node benchmarks/run.mjs cuda_gemm --sizes 1024,4096 || return 1; fi
  if bench_wanted conv; then
    node benchmarks/run.mjs conv --device cuda --model resnet18 || return 1
    if nvidia-smi --query-gpu=compute_cap --format=csv,noheader | grep -q '^9\.0'; then
      GRAFT_WGMMA=0 node benchmarks/run.mjs conv --device cuda --model resnet18 || return 1
    fi
  fi
  if [[ "${GPU_CHECK_TILES:-0}" != 0 ]]; then
    for tile in 64x64 64x128 128x128; do
      GRAFT_CONV_TILE=$tile node benchmarks/run.mjs conv --device cuda --model resnet18 || return 1
    done
  fi
}

step "GPU, driver and toolkit" "$out/gpu-info.log" gpu_info
if [[ -n "${GRAFT_ADDON_PATH:-}" ]]; then
  echo "== addon: using GRAFT_ADDON_PATH=$GRAFT_ADDON_PATH" | tee -a "$summary"
  [[ -f "$GRAFT_ADDON_PATH" ]] || { echo "   FAILED: no such file" | tee -a "$summary"; exit 1; }
else
  step "build the CUDA addon (cmake-js, GRAFT_CUDA=ON)" "$out/build.log" build_addon
  export GRAFT_ADDON_PATH=$PWD/native/build-gpu/Release/graft.node
fi
step "TypeScript builds (native, core)" "$out/tsc.log" npx tsc -b native packages/core
step "capabilities" "$out/capabilities.log" capabilities
if [[ "${GPU_CHECK_TESTS:-1}" != 0 ]]; then
  step "CUDA test suites" "$out/vitest-cuda.log" cuda_tests
fi
if [[ "${GPU_CHECK_QUICKSTART:-1}" != 0 ]]; then
  step "quickstart on cuda and cpu" "$out/quickstart.log" quickstart_on_gpu
fi
if [[ "${GPU_CHECK_BENCH:-1}" != 0 ]]; then
  step "benchmarks (train_cuda, cuda_gemm, conv --device cuda)" "$out/bench.log" benchmarks
fi

[[ -f "$out/vitest-cuda.log" ]] && { grep -E "Test Files|Tests |×|FAIL" "$out/vitest-cuda.log" | tail -40 | tee -a "$summary" || true; }
if ((${#failed[@]})); then
  echo "gpu-check: FAILED steps: ${failed[*]} (logs in $out)" | tee -a "$summary"
  exit 1
fi
echo "gpu-check: all steps passed (logs in $out)" | tee -a "$summary"
