#!/usr/bin/env node
// Packs every workspace package with `npm pack`, installs the tarballs into a new empty project and
// imports each one there, as a user who depends on a single package would. Exit 0 when all import.
//   node tools/pack-check.mjs [--keep]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const workspaceDirs = ['native', ...readdirSync(join(root, 'packages')).map((d) => join('packages', d)).filter((d) => existsSync(join(root, d, 'package.json')))];
const packages = workspaceDirs
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

const work = mkdtempSync(join(tmpdir(), 'graft-pack-'));
const quiet = { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' };
try {
  const tarballs = packages.map(({ dir }) => {
    const out = execFileSync(npm, ['pack', '--json', '--pack-destination', work, `./${dir}`], quiet);
    return join(work, JSON.parse(out)[0].filename);
  });
  const project = join(work, 'project');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
  // The root's overrides keep the install on versions this registry serves completely.
  if (rootPkg.overrides) {
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    pkg.overrides = rootPkg.overrides;
    writeFileSync(join(project, 'package.json'), JSON.stringify(pkg));
  }
  execFileSync(npm, ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs], { ...quiet, cwd: project });
  for (const { pkg } of packages) {
    const script = `const m = await import('${pkg.name}'); if (Object.keys(m).length === 0) throw new Error('${pkg.name} exports nothing'); console.log('${pkg.name}: ' + Object.keys(m).length + ' exports');`;
    process.stdout.write(execFileSync(process.execPath, ['--input-type=module', '-e', script], { ...quiet, cwd: project }));
  }
  console.log(`pack-check: ${packages.length} packages packed, installed and imported in an empty project`);
} finally {
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
