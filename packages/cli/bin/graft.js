#!/usr/bin/env node
// The `graft` executable as npm links it. It lives outside dist/ so the link exists from the first
// install, before the TypeScript build has written dist/; it runs the built CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('graft: @graft/cli is not built (no dist/bin.js); run `npm run build` at the repository root\n');
  process.exit(1);
}
await import(cli.href);
