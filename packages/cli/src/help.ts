/**
 * Help text: the command overview and each command's usage, flags and examples.
 */
import { GLOBAL_FLAGS, type CommandSpec, type FlagSpec } from './parse.js';

function flagLine(f: FlagSpec): [string, string] {
  const value = f.type === 'boolean' ? '' : ` ${f.valueName ?? (f.choices ? f.choices.join('|') : f.type === 'list' ? 'LIST' : f.type === 'string' ? 'TEXT' : 'N')}`;
  const extra = f.defaultText !== undefined ? ` (default ${f.defaultText})` : '';
  return [`--${f.name}${value}`, `${f.description}${extra}`];
}

function columns(rows: ReadonlyArray<[string, string]>, indent = 2): string {
  const width = Math.min(36, Math.max(...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) => `${' '.repeat(indent)}${a.padEnd(width)}${a.length > width ? `\n${' '.repeat(indent + width)}` : ''}  ${b}`).join('\n');
}

/**
 * The help of one command.
 * @example
 * process.stdout.write(commandHelp(spec));
 */
export function commandHelp(spec: CommandSpec): string {
  const positionals = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}${p.variadic ? '...' : ''}>` : `[${p.name}${p.variadic ? '...' : ''}]`));
  const lines = [`graft ${spec.name} — ${spec.summary}`, '', `Usage: graft ${[spec.name, ...positionals].join(' ')} [flags]`];
  if (spec.description) lines.push('', spec.description);
  if (spec.positionals?.length) lines.push('', 'Arguments:', columns(spec.positionals.map((p) => [p.name, p.description])));
  const visible = spec.flags.filter((f) => !f.hidden);
  if (visible.length) lines.push('', 'Flags:', columns(visible.map(flagLine)));
  lines.push('', 'Global flags:', columns(GLOBAL_FLAGS.map(flagLine)));
  lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`), '');
  return `${lines.join('\n')}\n`;
}

/**
 * The overview: every command with its summary.
 * @example
 * process.stdout.write(overviewHelp(COMMANDS, '0.1.0'));
 */
export function overviewHelp(commands: readonly CommandSpec[], version: string): string {
  return [
    `graft ${version} — pre-train, fine-tune, self-train and evaluate neural networks on Node.js`,
    '',
    'Usage: graft <command> [flags]',
    '',
    'Commands:',
    columns(commands.map((c) => [c.name, c.summary])),
    '',
    'Run `graft <command> --help` for its flags and examples; `graft --version` prints the version. Exit codes: 0 success, 1 runtime failure, 2 usage error, 130 interrupted.',
    '',
    'Examples:',
    '  graft quickstart                 the transfer-learning experiment, with report.html (1-2 minutes on 2 cores)',
    '  graft info --json',
    '  graft inspect weights/resnet20-fmnist04-supervised.safetensors',
    '',
  ].join('\n');
}
