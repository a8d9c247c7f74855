import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Users depend on single packages: each must pack, install into an empty project and import there.
// Needs the packages built (dist/), which `npm test` does before running the tests.
const built = existsSync('native/dist/index.js');

describe.skipIf(!built)('npm pack', () => {
  it('every workspace package installs and imports in an empty project', () => {
    const out = execFileSync(process.execPath, ['tools/pack-check.mjs'], { encoding: 'utf8', timeout: 600_000 });
    expect(out).toMatch(/pack-check: \d+ packages packed, installed and imported/);
    expect(out).toContain('@graft/native:');
  }, 600_000);
});
