#!/usr/bin/env node
/**
 * Renders a quickstart report.html in headless Chromium (Debian's `chromium`) and writes a PNG.
 *
 *   node tools/report-screenshot.mjs runs/quickstart-<time>/report.html docs/report.png [width] [height]
 *
 * Exit codes: 0 written, 1 Chromium failed or is missing, 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [input, output = 'docs/report.png', width = '1240', height = '2000'] = process.argv.slice(2);
if (!input || !existsSync(input)) {
  process.stderr.write('usage: node tools/report-screenshot.mjs <report.html> [out.png] [width] [height]\n');
  process.exit(2);
}
const browser = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync('which', [b]).status === 0);
if (!browser) {
  process.stderr.write('report-screenshot: no Chromium found; install it with `apt-get install -y chromium`\n');
  process.exit(1);
}
const profile = mkdtempSync(join(tmpdir(), 'graft-chromium-'));
const r = spawnSync(browser, [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`, `--window-size=${width},${height}`,
  `--screenshot=${resolve(output)}`, pathToFileURL(resolve(input)).href,
], { encoding: 'utf8', timeout: 120_000 });
rmSync(profile, { recursive: true, force: true });
if (r.status !== 0 || !existsSync(output)) {
  process.stderr.write(`report-screenshot: ${browser} failed (${r.status}): ${r.stderr}\n`);
  process.exit(1);
}
process.stdout.write(`${output}: ${statSync(output).size} bytes\n`);
