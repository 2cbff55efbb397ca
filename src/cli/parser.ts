// The one argument parser of kho-inspect: reads argv against a command's declarative table
// (commandTable.ts) with Node's util.parseArgs, and writes the help text from the same table.
// Every usage error is one line naming the option and what it expects.

import { parseArgs } from 'node:util';

export class UsageError extends Error {
  /** The command whose arguments were wrong (main.ts prints its usage line); unset for the command name itself. */
  command?: string;
}

export interface OptionSpec {
  /** The long name, without "--". */
  readonly name: string;
  readonly short?: string;
  /** What the value looks like (FILE, ADDR, ...); an option without one is a flag. */
  readonly value?: string;
  /** The only values accepted. */
  readonly choices?: readonly string[];
  /** May be given again: every value is kept, in the order given. */
  readonly multiple?: boolean;
  readonly help: string;
}

export interface OptionGroup {
  readonly title: string;
  readonly options: readonly OptionSpec[];
}

/** An old spelling still accepted: it reads as `use` and leaves a deprecation note. */
export interface OldSpelling {
  readonly spelling: string;
  /** Only these values are the old spelling; others are the option's current meaning. */
  readonly values?: readonly string[];
  readonly use: string;
}

export interface CommandSpec {
  readonly name: string;
  /** Names of the positional arguments, at most these many (e.g. ["IMAGE"]). */
  readonly operands: readonly string[];
  /** How the operands are shown in the usage line, when not simply their names. */
  readonly synopsis?: string;
  /** What the command does and prints, and its exit statuses. */
  readonly description: string;
  readonly groups: readonly OptionGroup[];
  readonly oldSpellings?: readonly OldSpelling[];
}

/** -h / --help, taken by every command. */
export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', help: 'this help' };

/** The command line of one command, checked against its table. */
export class ParsedArgs {
  constructor(
    private readonly values: ReadonlyMap<string, string | readonly string[] | true>,
    readonly operands: readonly string[],
  ) {}

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** A repeatable option's values in the order given (none: empty). */
  list(name: string): readonly string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
}

export function commandOptions(cmd: CommandSpec): OptionSpec[] {
  return [...cmd.groups.flatMap((g) => g.options), HELP_OPTION];
}

/** "a, b or c" (or "a, b and c") */
export function oneOf(items: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

type OptionToken = { name: string; rawName: string; value?: string; inlineValue?: boolean };

/** An option this command does not take: say which commands do, when some do. */
function unknownOption(t: OptionToken, cmd: CommandSpec, all: readonly CommandSpec[]): UsageError {
  const takers = all.filter((c) => c !== cmd && commandOptions(c).some((o) => o.name === t.name)).map((c) => c.name);
  if (takers.length) return new UsageError(`${t.rawName} is for ${oneOf(takers, 'and')}, not ${cmd.name}`);
  return new UsageError(`unknown option ${t.rawName} (--help lists the options)`);
}

/** The token's value, checked against what `spec` expects ("" for a flag). */
function valueOf(t: OptionToken, spec: OptionSpec, cmd: CommandSpec): string {
  if (!spec.value) {
    if (t.value !== undefined) throw new UsageError(`${t.rawName} takes no value (got "${t.value}")`);
    return '';
  }
  const expected = spec.choices ? spec.choices.join('|') : spec.value;
  if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value (${expected})`);
  // A value taken from the next argument may not look like an option ("-" alone is a value).
  if (!t.inlineValue && t.value.startsWith('-') && t.value !== '-') {
    throw new UsageError(
      `${t.rawName} needs a value (${expected}), not the option "${t.value}" (write ${t.rawName}=VALUE for a value starting with "-")`,
    );
  }
  if (spec.choices && !spec.choices.includes(t.value)) {
    const olds = (cmd.oldSpellings ?? []).filter((s) => s.spelling === spec.name && s.values);
    const hint = olds.map((s) => ` (for --${s.use}: ${s.values!.join('|')})`).join('');
    throw new UsageError(`--${spec.name}: "${t.value}" is not ${oneOf(spec.choices)}${hint}`);
  }
  return t.value;
}

/**
 * Parses `argv` (the arguments after the command name) against `cmd`'s table. `all` are every
 * command's tables, to name the right command for an option given to the wrong one; `note` gets the
 * one-line deprecation notes of old spellings.
 */
export function parseCommand(
  cmd: CommandSpec,
  argv: readonly string[],
  all: readonly CommandSpec[],
  note: (line: string) => void,
): ParsedArgs {
  const specs = new Map(commandOptions(cmd).map((o) => [o.name, o]));
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of specs.values())
    config[o.name] = { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}) };
  for (const old of cmd.oldSpellings ?? []) config[old.spelling] ??= { type: 'string' };
  // Not strict: the tokens come back as given and each problem is said here, in one line.
  const { tokens } = parseArgs({
    args: [...argv],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string | string[] | true>();
  const operands: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (operands.length === cmd.operands.length) throw new UsageError(`unexpected argument "${t.value}"`);
      operands.push(t.value);
    }
    if (t.kind !== 'option') continue;
    const old = cmd.oldSpellings?.find((s) => s.spelling === t.name && (!s.values || s.values.includes(t.value ?? '')));
    const spec = specs.get(old ? old.use : t.name);
    if (!spec) throw unknownOption(t, cmd, all);
    const value = valueOf(t, spec, cmd);
    if (old) {
      const given = old.values ? ` ${value}` : '';
      note(`${cmd.name} ${t.rawName}${given} is deprecated: use --${spec.name}${given}`);
    }
    const had = values.get(spec.name);
    if (!spec.value) values.set(spec.name, true);
    else if (spec.multiple) {
      if (had === undefined) values.set(spec.name, [value]);
      else (had as string[]).push(value);
    } else if (had !== undefined) throw new UsageError(`--${spec.name} given twice (it takes one ${spec.value})`);
    else values.set(spec.name, value);
  }
  return new ParsedArgs(values, operands);
}

const WIDTH = 110;

/** `text` wrapped to WIDTH, each line after the first indented by `indent` spaces. */
export function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

function optionLabel(o: OptionSpec): string {
  const long = `--${o.name}${o.value ? ` ${o.value}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : long;
}

/** One option group, as listed by --help. */
export function groupHelp(title: string, options: readonly OptionSpec[]): string {
  const column = Math.min(34, Math.max(...options.map((o) => optionLabel(o).length)) + 4);
  const rows = options.map((o) => {
    const label = `  ${optionLabel(o)}`;
    const help = wrap(o.help, column);
    return label.length < column ? label.padEnd(column) + help : `${label}\n${' '.repeat(column)}${help}`;
  });
  return `${title}:\n${rows.join('\n')}`;
}

export function usageLine(cmd: CommandSpec): string {
  return `kho-inspect ${cmd.name} ${cmd.synopsis ?? cmd.operands.join(' ')} [options]`;
}

/** `kho-inspect COMMAND --help`: the usage line, what the command does, then every option of its table. */
export function commandHelp(cmd: CommandSpec): string {
  const parts = [
    `usage: ${usageLine(cmd)}`,
    wrap(cmd.description, 0),
    ...cmd.groups.map((g) => groupHelp(g.title, g.options)),
  ];
  parts.push(groupHelp('help', [HELP_OPTION]));
  const olds = oldSpellingsHelp(cmd);
  if (olds) parts.push(olds);
  return parts.join('\n\n');
}

/** The old spellings a command still accepts, as one paragraph (empty when none). */
export function oldSpellingsHelp(cmd: CommandSpec): string {
  const olds = (cmd.oldSpellings ?? []).map(
    (s) => `--${s.spelling}${s.values ? ` ${s.values.join('|')}` : ''} (use --${s.use})`,
  );
  return olds.length
    ? wrap(`${cmd.name}: old spellings, still accepted with a note on stderr: ${olds.join(', ')}`, 0)
    : '';
}
