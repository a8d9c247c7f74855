import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// Tests import every package from its TypeScript source, so a change is tested without a rebuild.
// The native addon is loaded per process: the `forks` pool gives each test file its own process,
// which keeps the addon's thread pool and allocator statistics apart between files.
export default defineConfig({
  resolve: {
    alias: {
      '@graft/native': here('./native/ts/index.ts'),
      '@graft/core': here('./packages/core/src/index.ts'),
      '@graft/data': here('./packages/data/src/index.ts'),
      '@graft/finetune': here('./packages/finetune/src/index.ts'),
      '@graft/selftrain': here('./packages/selftrain/src/index.ts'),
      '@graft/cli': here('./packages/cli/src/index.ts'),
    },
  },
  test: {
    include: ['native/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'benchmarks/test/**/*.test.ts', 'tools/test/**/*.test.ts'],
    setupFiles: [here('./vitest.setup.ts')],
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
