/**
 * The `graft` command: parses the command line, runs the command, and maps failures to exit codes
 * (0 success, 1 runtime failure, 2 usage error, 130 interrupted).
 */
import { commandHelp, overviewHelp } from './help.js';
import { InterruptedError, EXIT_INTERRUPTED } from './interrupt.js';
import { UsageError, parseCommandLine, type CommandSpec } from './parse.js';
import { cliVersion } from './version.js';
import { COMMANDS } from './commands/index.js';
import type { CliIo } from './commands/types.js';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: EXIT_INTERRUPTED } as const;

/** The specs of every command, in help order. */
export const COMMAND_SPECS: readonly CommandSpec[] = COMMANDS.map((c) => c.spec);

/**
 * The process's own streams as a {@link CliIo}.
 * @example
 * await main(process.argv.slice(2), processIo());
 */
export function processIo(): CliIo {
  return {
    stdout: (t) => { process.stdout.write(t); },
    stderr: (t) => { process.stderr.write(t); },
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

/**
 * Runs the CLI on `argv` (the words after `graft`); resolves to the exit code.
 * @example
 * process.exitCode = await main(['info', '--json'], processIo());
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command = '';
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout(`graft ${cliVersion()}\n`);
    return EXIT.ok;
  }
  try {
    const parsed = parseCommandLine(argv, COMMAND_SPECS);
    command = parsed.command;
    const found = COMMANDS.find((c) => c.spec.name === parsed.command);
    if (parsed.help || !found) {
      io.stdout(found ? commandHelp(found.spec) : overviewHelp(COMMAND_SPECS, cliVersion()));
      return EXIT.ok;
    }
    return await found.run(parsed, io);
  } catch (error) {
    return report(error, command, io);
  }
}

function report(error: unknown, command: string, io: CliIo): number {
  if (error instanceof UsageError) {
    const where = error.command ?? command;
    io.stderr(`graft: ${error.message}\nRun 'graft ${where ? `${where} ` : ''}--help' for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof InterruptedError) {
    io.stderr(`graft ${command}: ${error.message}\n`);
    return EXIT.interrupted;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`graft ${command}: ${message}\n`);
  if (process.env['GRAFT_DEBUG'] && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return EXIT.failure;
}
