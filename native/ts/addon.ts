/**
 * Loads the compiled addon (`graft.node`). This is the one place that touches the raw module;
 * the typed functions live in `kernels/*.ts` and `runtime.ts`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A native function as the addon exports it; each kernel file narrows it to its own signature. */
export type RawFunction = (...args: never[]) => unknown;

/** The raw addon: fast kernels at the top level, naive references under `ref`. */
export interface RawAddon {
  readonly [name: string]: RawFunction | RawAddon['ref'];
  readonly ref: Readonly<Record<string, RawFunction>>;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the loader looks for `graft.node`, in order. `GRAFT_ADDON_PATH` comes first when set. */
export function addonCandidates(): string[] {
  const fromEnv = process.env.GRAFT_ADDON_PATH;
  return [
    ...(fromEnv ? [fromEnv] : []),
    join(packageRoot, 'build', 'Release', 'graft.node'),
    join(packageRoot, 'build', 'Debug', 'graft.node'),
    join(packageRoot, 'build-gyp', 'Release', 'graft.node'),
  ];
}

let cached: RawAddon | undefined;
let cachedPath: string | undefined;

/**
 * Returns the loaded addon, loading it on first use.
 * @throws Error saying how to build the addon when no `graft.node` is found.
 * @example
 * const raw = loadAddon();
 */
export function loadAddon(): RawAddon {
  if (cached) return cached;
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `@graft/native: the native addon graft.node was not found (looked in ${candidates.join(', ')}). ` +
        'Build it from the repository root with `npm run build:native` (needs a C++17 compiler and CMake, ' +
        'or node-gyp, which ships with npm), or set GRAFT_ADDON_PATH to a built graft.node.',
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as RawAddon;
  cachedPath = path;
  return cached;
}

/** The file the addon was loaded from (loads it if needed). */
export function addonPath(): string {
  loadAddon();
  return cachedPath as string;
}

/** Picks the fast kernel or its naive reference by name. */
export function kernel<F extends RawFunction>(name: string, impl: Impl = 'cpu'): F {
  const raw = loadAddon();
  const fn = impl === 'ref' ? raw.ref[name] : raw[name];
  if (typeof fn !== 'function') throw new Error(`@graft/native: the addon has no ${impl} kernel named '${name}'`);
  return fn as F;
}

/** Which implementation of a kernel to run: the fast CPU path or the naive reference. */
export type Impl = 'cpu' | 'ref';
