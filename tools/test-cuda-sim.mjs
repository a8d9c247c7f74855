#!/usr/bin/env node
// Builds the addon with the CUDA backend on the host simulator (native/sim) and runs the CUDA test
// suites against it: the GPU kernels, checked without a GPU. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = [
  'native/test/cuda.test.ts', 'native/test/cuda_aliasing.test.ts', 'native/test/cuda_elementwise.test.ts', 'native/test/cuda_gemm.test.ts',
  'native/test/cuda_conv.test.ts',
  'native/test/cuda_tensor.test.ts', 'native/test/cuda_train.test.ts', 'native/test/lerp.test.ts',
  'native/test/runtime.test.ts', 'packages/core/test/cuda.test.ts', 'packages/core/test/cuda_parity.test.ts',
  'benchmarks/test/bench_cuda.test.ts',
];

const indexAndOrderSuites = 'cudaGemm \\(tf32\\)|tensor-core GEMM kernels|implicit GEMM, float32|block tiles|pooling|plumbing|cuda elementwise|reductions|' +
  'cuda batch norm|cuda indexing|cuda cross-entropy|layer norm';

function run(args, env = process.env) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run([join(root, 'tools', 'build-native.mjs'), '--sim']);
const addon = join(root, 'native', 'build', 'Release', 'graft-sim.node');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
run([vitest, 'run', ...suites, ...process.argv.slice(2)], { ...process.env, GRAFT_ADDON_PATH: addon });
// The simulated GPU (compute capability 9.0) runs TF32 and BF16 on the wgmma kernels; those suites again
// on the mma.sync kernels that other GPUs run.
run([vitest, 'run', 'native/test/cuda_gemm.test.ts', 'native/test/cuda_conv.test.ts', '-t',
  'cudaGemm \\((tf32|bf16)\\)|tensor-core GEMM kernels|implicit GEMM, (tf32|bf16)|block tiles \\((tf32|bf16)\\)', ...process.argv.slice(2)],
{ ...process.env, GRAFT_ADDON_PATH: addon, GRAFT_WGMMA: '0' });
// Again with two simulated GPUs, for what only runs where there is a second device.
run([vitest, 'run', 'packages/core/test/cuda.test.ts', '-t', 'two CUDA devices', ...process.argv.slice(2)],
  { ...process.env, GRAFT_ADDON_PATH: addon, GRAFT_SIM_DEVICES: '2' });
// Again through the kernels' 64-bit index paths (which otherwise only tensors past 2^31 elements take),
// for the suites of the kernels that have both (convolution at one precision: the index arithmetic is the
// same for all three), and in reverse order (blocks and threads last-first), so a kernel whose result
// depends on the order its threads run between barriers fails one of the two runs; the tensor-core GEMM's
// cp.async pipeline and the row reductions join this run for that.
run([vitest, 'run', 'native/test/cuda_gemm.test.ts', 'native/test/cuda_conv.test.ts', 'native/test/cuda_tensor.test.ts', 'native/test/cuda_elementwise.test.ts',
  'native/test/cuda_train.test.ts', '-t', indexAndOrderSuites, ...process.argv.slice(2)],
{ ...process.env, GRAFT_ADDON_PATH: addon, GRAFT_CUDA_INDEX64: '1', GRAFT_SIM_ORDER: 'reverse' });
