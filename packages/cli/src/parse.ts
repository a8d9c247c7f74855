/**
 * Command-line parsing: commands with typed flags (kebab-case on the command line, camelCase in the
 * parsed result), `--config run.json` defaults, and usage errors that suggest the closest name.
 * A small own parser rather than node:util's parseArgs because the CLI needs typed values, per-command
 * flag sets, config files and "did you mean" suggestions, which parseArgs would leave to the caller.
 */
import { readFileSync } from 'node:fs';

/** The kind of value a flag takes. `list` is comma-separated; `boolean` takes no value (`--no-x` negates). */
export type FlagType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

/** A parsed flag value. */
export type FlagValue = string | number | boolean | string[];

/** One flag of a command. */
export interface FlagSpec {
  /** kebab-case name without dashes, e.g. 'learning-rate'. */
  name: string;
  type: FlagType;
  description: string;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Placeholder of the value in help, e.g. 'FILE'. */
  valueName?: string;
  /** Shown in help only; the default itself is applied by the command. */
  defaultText?: string;
  /** Development flags: accepted, never listed in help. */
  hidden?: boolean;
}

/** A positional argument of a command. */
export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining positional argument. */
  variadic?: boolean;
}

/** One command: its flags, positionals and help text. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** A paragraph under the usage line. */
  description?: string;
  positionals?: readonly PositionalSpec[];
  flags: readonly FlagSpec[];
  /** Example command lines, shown in help. */
  examples: readonly string[];
}

/** A parsed command line. */
export interface ParsedCommand {
  command: string;
  /** Flag values by camelCase name; flags given neither on the command line nor in --config are absent. */
  flags: Record<string, FlagValue>;
  positionals: string[];
  help: boolean;
  json: boolean;
}

/**
 * A mistake in how the command was called: the CLI prints it with a hint and exits with code 2.
 * @example
 * throw new UsageError("unknown flag '--lr'", 'finetune');
 */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'help', type: 'boolean', description: 'Show this help.' },
  { name: 'json', type: 'boolean', description: 'Print only machine-readable JSON on stdout.' },
  { name: 'config', type: 'string', valueName: 'FILE', description: 'JSON file of flag values (camelCase or kebab-case keys); flags on the command line win.' },
];

/**
 * kebab-case to camelCase: 'learning-rate' -> 'learningRate'.
 * @example
 * camelCase('num-train-epochs'); // 'numTrainEpochs'
 */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * camelCase to kebab-case: 'learningRate' -> 'learning-rate'.
 * @example
 * kebabCase('numTrainEpochs'); // 'num-train-epochs'
 */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Levenshtein distance (insertions, deletions, substitutions each cost 1).
 * @example
 * editDistance('quikstart', 'quickstart'); // 1
 */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * The candidate nearest to `word` by edit distance, if it is near enough to be a plausible typo
 * (at most a third of the longer word, and at least 2 edits allowed), or one that starts with `word`.
 * @example
 * closest('fintune', ['finetune', 'eval']); // 'finetune'
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(Math.max(word.length, best.length) / 3))) return best;
  const prefixed = candidates.filter((c) => c.startsWith(word) && word.length >= 2);
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const guess = closest(word, candidates);
  return guess === undefined ? '' : `; did you mean '${prefix}${guess}'?`;
}

/** Converts the text of a flag's value to its type; throws a UsageError naming the flag. */
function convert(spec: FlagSpec, text: string, command: string): FlagValue {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} expects a number, got '${text}'`, command);
      return value;
    }
    case 'integer': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isSafeInteger(value)) throw new UsageError(`${flag} expects an integer, got '${text}'`, command);
      return value;
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new UsageError(`${flag} is a switch: write ${flag} or --no-${spec.name}, got '${text}'`, command);
    default:
      if (spec.choices && !spec.choices.includes(text)) {
        throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got '${text}'${didYouMean(text, spec.choices)}`, command);
      }
      return text;
  }
}

/** Converts a --config value (JSON) to the flag's type, reusing the command-line rules. */
function convertJson(spec: FlagSpec, value: unknown, command: string): FlagValue {
  if (spec.type === 'list' && Array.isArray(value)) return value.map(String);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return convert(spec, String(value), command);
  throw new UsageError(`--config: '${spec.name}' must be a ${spec.type}, got ${JSON.stringify(value)}`, command);
}

/**
 * Reads a --config file: a JSON object whose keys are the command's flags in camelCase or kebab-case.
 * @example
 * readConfig('run.json', spec); // { learningRate: 0.01, numTrainEpochs: 5 }
 */
export function readConfig(file: string, spec: CommandSpec): Record<string, FlagValue> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--config ${file}: ${(error as Error).message}`, spec.name);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`--config ${file}: expected a JSON object of flag values`, spec.name);
  const flags = spec.flags;
  const out: Record<string, FlagValue> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const name = kebabCase(key);
    const flag = flags.find((f) => f.name === name);
    if (!flag) throw new UsageError(`--config ${file}: unknown key '${key}' for '${spec.name}'${didYouMean(camelCase(name), flags.map((f) => camelCase(f.name)))}`, spec.name);
    out[camelCase(name)] = convertJson(flag, value, spec.name);
  }
  return out;
}

/** Parses the words after the command name against its spec (global flags included). */
function parseWords(words: readonly string[], spec: CommandSpec): { flags: Record<string, FlagValue>; positionals: string[] } {
  const flags = [...spec.flags, ...GLOBAL_FLAGS];
  const values: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '--') { positionals.push(...words.slice(i + 1)); break; }
    if (word === '-h') { values['help'] = true; continue; }
    if (!word.startsWith('--') || word === '-') {
      if (word.startsWith('-') && word !== '-' && Number.isNaN(Number(word))) throw new UsageError(`unknown option '${word}' (flags are written --name)`, spec.name);
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    let name = word.slice(2, eq < 0 ? undefined : eq);
    let negated = false;
    if (name.startsWith('no-') && !flags.some((f) => f.name === name)) { name = name.slice(3); negated = true; }
    const flag = flags.find((f) => f.name === name);
    if (!flag) {
      const visible = flags.filter((f) => !f.hidden).map((f) => f.name);
      throw new UsageError(`unknown flag '--${name}' for '${spec.name}'${didYouMean(name, visible, '--')}`, spec.name);
    }
    if (flag.type === 'boolean') {
      if (negated && eq >= 0) throw new UsageError(`--no-${name} takes no value`, spec.name);
      values[camelCase(name)] = negated ? false : eq >= 0 ? convert(flag, word.slice(eq + 1), spec.name) : true;
      continue;
    }
    if (negated) throw new UsageError(`--no-${name}: only switches can be negated`, spec.name);
    let text: string | undefined = eq >= 0 ? word.slice(eq + 1) : words[i + 1];
    if (eq < 0) {
      if (text === undefined || (text.startsWith('--') && text.length > 2)) throw new UsageError(`--${name} needs a value${flag.valueName ? ` (${flag.valueName})` : ''}`, spec.name);
      i++;
    }
    values[camelCase(name)] = convert(flag, text as string, spec.name);
  }
  return { flags: values, positionals };
}

/**
 * Parses `argv` (without node and the script): the command, its flags (config file first, then the
 * command line) and positionals. Throws a {@link UsageError} for an unknown command or flag (with the
 * closest name), a bad value, or a missing or extra positional. With `--help`, checks stop at flags.
 * @example
 * const parsed = parseCommandLine(['finetune', '--learning-rate', '0.01'], COMMANDS);
 * parsed.flags.learningRate; // 0.01
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): ParsedCommand {
  const [name, ...rest] = argv;
  const names = commands.map((c) => c.name);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !names.includes(topic)) throw new UsageError(`unknown command '${topic}'${didYouMean(topic, names)}`);
    return { command: topic ?? '', flags: {}, positionals: [], help: true, json: false };
  }
  const spec = commands.find((c) => c.name === name);
  if (!spec) {
    const hint = name.startsWith('-') ? ' (a command comes first, e.g. graft quickstart --json)' : didYouMean(name, names);
    throw new UsageError(`unknown command '${name}'${hint}`);
  }
  const parsed = parseWords(rest, spec);
  const help = parsed.flags['help'] === true;
  const json = parsed.flags['json'] === true;
  const config = typeof parsed.flags['config'] === 'string' ? readConfig(parsed.flags['config'], spec) : {};
  const flags: Record<string, FlagValue> = { ...config, ...parsed.flags };
  for (const key of ['help', 'json', 'config']) delete flags[key];
  if (!help) checkPositionals(parsed.positionals, spec);
  return { command: spec.name, flags, positionals: parsed.positionals, help, json };
}

function checkPositionals(positionals: readonly string[], spec: CommandSpec): void {
  const specs = spec.positionals ?? [];
  const required = specs.filter((p) => p.required);
  if (positionals.length < required.length) {
    const missing = required[positionals.length] as PositionalSpec;
    throw new UsageError(`'${spec.name}' needs <${missing.name}> (${missing.description})`, spec.name);
  }
  if (!specs.some((p) => p.variadic) && positionals.length > specs.length) {
    throw new UsageError(`'${spec.name}' takes ${specs.length === 0 ? 'no' : `at most ${specs.length}`} positional argument${specs.length === 1 ? '' : 's'}, got '${positionals.slice(specs.length).join(' ')}'`, spec.name);
  }
}
