/**
 * What a command is: its spec (flags, help) and a run function returning the exit code.
 */
import type { CommandSpec, ParsedCommand } from '../parse.js';

/** The outside world of a command: output streams and whether they are terminals. */
export interface CliIo {
  /** Results: the table, or the JSON document with --json. */
  stdout(text: string): void;
  /** Progress, notes and errors. */
  stderr(text: string): void;
  stderrIsTTY: boolean;
}

/** A command of the `graft` CLI. */
export interface Command {
  spec: CommandSpec;
  /** Runs the command; resolves to the exit code (0 success, 1 runtime failure, 130 interrupted). */
  run(parsed: ParsedCommand, io: CliIo): Promise<number>;
}

/**
 * JSON for stdout: one document and a newline.
 * @example
 * io.stdout(jsonLine({ ok: true }));
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
