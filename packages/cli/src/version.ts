/**
 * The package's version, read from its package.json (one level above both src/ and dist/).
 */
import { readFileSync } from 'node:fs';

/**
 * The version of @graft/cli, e.g. '0.1.0'.
 * @example
 * console.log(`graft ${cliVersion()}`);
 */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
