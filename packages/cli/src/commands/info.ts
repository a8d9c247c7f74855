/**
 * `graft info`: version, native build, instruction set, threads and CUDA devices.
 */
import { addonPath, capabilities, type CudaDevice } from '@graft/native';
import { cliVersion } from '../version.js';
import { jsonLine, type Command } from './types.js';

/** What `graft info --json` prints. */
export interface InfoJson {
  version: string;
  node: string;
  platform: string;
  native: { addon: string; isa: string; detectedIsa: string; threads: number; compiler: string | null };
  cuda: { compiled: boolean; runtimeVersion: string | null; devices: CudaDevice[]; unavailableReason: string | null };
}

/**
 * Collects the information `graft info` shows.
 * @example
 * collectInfo().native.isa; // 'avx2+fma'
 */
export function collectInfo(): InfoJson {
  const caps = capabilities();
  return {
    version: cliVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    native: { addon: addonPath(), isa: caps.isa, detectedIsa: caps.detectedIsa, threads: caps.threads, compiler: caps.compiler ?? null },
    cuda: {
      compiled: caps.cudaCompiled, runtimeVersion: caps.cudaRuntimeVersion || null, devices: caps.cudaDevices,
      unavailableReason: caps.cudaUnavailableReason || null,
    },
  };
}

function text(info: InfoJson): string {
  const devices = info.cuda.devices.map((d) => `  cuda:${d.index} ${d.name} (compute ${d.computeCapability}, ${(d.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ${d.multiprocessors} SMs)`);
  return [
    `graft ${info.version} (Node ${info.node}, ${info.platform})`,
    `native addon   ${info.native.addon}`,
    `ISA            ${info.native.isa} (CPU supports ${info.native.detectedIsa})`,
    `threads        ${info.native.threads}`,
    `compiler       ${info.native.compiler ?? 'unknown'}`,
    `CUDA compiled  ${info.cuda.compiled ? `yes (runtime ${info.cuda.runtimeVersion ?? '?'})` : 'no'}`,
    `CUDA devices   ${info.cuda.devices.length}${info.cuda.unavailableReason ? ` (${info.cuda.unavailableReason})` : ''}`,
    ...devices,
    '',
  ].join('\n');
}

/** The `info` command. */
export const infoCommand: Command = {
  spec: {
    name: 'info',
    summary: 'Show the version, native build, instruction set, threads and CUDA devices.',
    flags: [],
    examples: ['graft info', 'graft info --json'],
  },
  async run(parsed, io) {
    const info = collectInfo();
    io.stdout(parsed.json ? jsonLine(info) : text(info));
    return 0;
  },
};
