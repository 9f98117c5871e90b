/**
 * The parser: builds commander from the command table's declarations, and hands back one
 * validated invocation. Nothing here touches the database or prints data.
 */
import { Command, Option, CommanderError } from 'commander';
import { commands, hiddenCommands } from './command-table';
import type { CommandSpec } from '../command';
import { renamedTo } from './naming';
import { globalOptions, validateGlobals, type GlobalFlags } from '../config';
import { EXIT_CODE_TABLE, UsageError } from '../errors';
import type { Deps } from '../deps';
import type { Format, Result } from '../output';
import {
  appendListArgument,
  constraintMessage,
  flagOf,
  flagsOf,
  helpOf,
  negatedFlagOf,
  parseIntegerArgument,
  usageLine,
  type OptionDecl,
  type OptionDecls,
} from '../options';

export interface Invocation {
  spec: CommandSpec;
  invokedAs: string;
  /** The validated options the command receives. */
  options: object;
  globals: GlobalFlags;
  format: Format;
  /** Whether -o or --ndjson chose the format (otherwise TENANTADM_OUTPUT may, on a terminal). */
  formatGiven: boolean;
  /** Warnings about the command line itself (deprecated spellings), for main to print. */
  warnings: string[];
  run: (deps: Deps) => Promise<Result>;
}

export type ParseOutcome = { kind: 'run'; invocation: Invocation } | { kind: 'exit'; code: number };

/** Each flag seen on the command line, to refuse one given twice or with its --no- form. */
type Seen = Map<string, string>;

function addOptions(cmd: Command, decls: OptionDecls, seen: Seen): void {
  for (const [key, d] of Object.entries(decls)) {
    const opt = new Option(flagsOf(key, d), helpOf(d));
    if (d.hidden) opt.hideHelp();
    if (d.type === 'int') opt.argParser((raw: string) => parseIntegerArgument(d, raw));
    if (d.type === 'list') opt.argParser(appendListArgument);
    if (d.type === 'enum' && d.ignoreCase) opt.argParser((raw: string) => raw.trim().toLowerCase());
    cmd.addOption(opt);
    track(cmd, opt.name(), key, d, seen);
    for (const alias of d.aliases ?? []) {
      const older = new Option(`--${alias}${'arg' in d ? ` <${d.arg}>` : ''}`, helpOf(d)).hideHelp();
      if (d.type === 'int') older.argParser((raw: string) => parseIntegerArgument(d, raw));
      if (d.type === 'list') older.argParser(appendListArgument);
      cmd.addOption(older);
      track(cmd, older.name(), key, d, seen);
    }
    if ((d.type === 'boolean' || d.type === 'string') && d.negate) {
      const negated = new Option(negatedFlagOf(key), d.negate);
      if (d.hidden) negated.hideHelp();
      cmd.addOption(negated);
      track(cmd, negated.name(), key, d, seen);
    }
  }
}

/** Given twice, or together with its --no- form, an option would silently mean its last value: refuse it. */
function track(cmd: Command, name: string, key: string, d: OptionDecl, seen: Seen): void {
  cmd.on(`option:${name}`, () => {
    const flag = `--${name}`;
    const before = seen.get(key);
    if (before !== undefined && d.type !== 'list') {
      if (before === flag) throw new UsageError(`${flag} is given twice`, 'give it once');
      const names = [flagOf(key), ...(d.aliases ?? []).map((a) => `--${a}`)];
      if (names.includes(before) && names.includes(flag)) throw new UsageError(`${before} and ${flag} are the same option`, `give ${flagOf(key)} once`);
      throw new UsageError(`${before} and ${flag} contradict each other`, 'give one of them');
    }
    seen.set(key, flag);
  });
}

/** The command the arguments name (a group's subcommand included), if any. */
function commandIn(args: readonly string[]): CommandSpec | undefined {
  // A subcommand ("audit forward") before the command it belongs to ("audit").
  const bySpecificity = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  return bySpecificity.find((c) => {
    const [head, sub] = c.name.split(' ') as [string, string | undefined];
    const at = args.findIndex((a) => a === head || c.aliases.includes(a));
    return at >= 0 && (sub === undefined || args.slice(at + 1).includes(sub));
  });
}

/** An older spelling's value under the option's own name (commander keeps it under the alias). */
function foldAliases(flags: Record<string, unknown>, decls: OptionDecls): Record<string, unknown> {
  for (const [key, d] of Object.entries(decls)) {
    for (const alias of d.aliases ?? []) {
      const attr = alias.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      if (!(attr in flags)) continue;
      const value = flags[attr];
      delete flags[attr];
      // A list may be given under both names: the values add up.
      flags[key] = d.type === 'list' && Array.isArray(flags[key]) ? [...(flags[key] as unknown[]), ...(value as unknown[])] : value;
    }
  }
  return flags;
}

function helpAfter(spec: CommandSpec): string {
  // "Exactly one of" is in the usage line already: said once, there.
  const rules = spec.constraints.filter((c) => !('exactlyOne' in c)).map((c) => `  ${constraintMessage(c)}`);
  return [
    '',
    ...(rules.length ? ['Rules:', ...rules, ''] : []),
    'Examples:',
    ...spec.examples.map((e) => `  $ ${e}`),
    '',
    // As kubectl: the options every command takes are one command away, not repeated in each help.
    'Global options (--mongo, -o/--output, -q, --no-input, --actor, ...): see `tenantadm options`.',
    '',
  ].join('\n');
}

/** The exit-code summary --help ends with, from the one table in errors.ts. */
export function exitCodesHelp(): string {
  const codes = EXIT_CODE_TABLE.map((e) => `${e.code} ${e.brief}`);
  const lines: string[] = [];
  for (let i = 0; i < codes.length; i += 4) lines.push(`  ${codes.slice(i, i + 4).join('   ')}`);
  return [
    '',
    'Exit codes:',
    ...lines,
    '',
    'stdout carries only data (JSON, NDJSON, a table or CSV); messages go to stderr.',
    'See tenantadm(1) for the environment variables and the contract for scripts.',
    '',
  ].join('\n');
}

function formatOf(globals: GlobalFlags): Format {
  if (globals.output !== undefined && globals.ndjson && globals.output !== 'ndjson') {
    throw new UsageError('--ndjson and -o disagree', 'give one of them');
  }
  return globals.output ?? (globals.ndjson ? 'ndjson' : 'json');
}

/** Parse argv into one invocation; help and version are printed here (to stdout) and end the run. */
export function parse(argv: string[], version: string, io: { out: (s: string) => void; err: (s: string) => void }): ParseOutcome {
  let invocation: Invocation | undefined;
  let usageMessage: string | undefined;
  const outputError = (str: string) => {
    // Captured so that our own reporter prints it once, in the chosen error format.
    usageMessage = str.replace(/^error:\s*/, '').trim();
  };
  // Help is 80 columns wide on every terminal, so the build can render it once (cli/help.ts).
  const output = { writeOut: io.out, writeErr: io.err, outputError, getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 };
  const seenGlobals: Seen = new Map();

  const program = new Command('tenantadm')
    .description('Administer the tenants of a multi-tenant Mender server directly in its MongoDB.')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput(output)
    .configureHelp({ showGlobalOptions: false })
    .exitOverride()
    .addHelpText('after', exitCodesHelp());
  addOptions(program, globalOptions, seenGlobals);

  // "audit forward": a subcommand of a command of its own; "maintenance ...": of a group that is only that.
  const groups = new Map<string, Command>();
  for (const spec of [...commands, ...hiddenCommands]) {
    const hidden = hiddenCommands.includes(spec);
    const seen: Seen = new Map();
    // "maintenance delete-suspended-tenants": a subcommand of a group command, as Mender's own CLI spells it.
    const [head, sub] = spec.name.split(' ') as [string, string | undefined];
    let parent: Command = program;
    if (sub !== undefined) {
      let group = groups.get(head);
      if (!group) {
        group = program.command(head).summary(`${head} jobs over many tenants (see tenantadm ${head} --help)`);
        group.configureOutput(output);
        group.exitOverride();
        groups.set(head, group);
      }
      parent = group;
    }
    const cmd = parent
      .command(sub ?? head, { hidden })
      .summary(spec.summary)
      .description(spec.description ?? spec.summary)
      .usage(usageLine(spec.options, spec.constraints, spec.argument));
    for (const alias of spec.aliases) cmd.alias(alias);
    if (sub === undefined) groups.set(head, cmd);
    if (spec.argument) cmd.argument(`<${spec.argument.name}>`, `${spec.argument.help}: ${spec.argument.values.join(', ')}`);
    addOptions(cmd, spec.options, seen);
    cmd.addHelpText('after', helpAfter(spec));
    cmd.configureOutput(output);
    cmd.exitOverride();
    cmd.allowExcessArguments(false);
    cmd.action((...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      // A subcommand of a command with options of its own ("audit forward"): commander hands
      // that command the options both declare (`audit forward --tenant X`); they are this one's.
      const taken = parent !== program && sub !== undefined ? Object.entries(parent.opts()).filter(([, v]) => v !== undefined) : [];
      for (const [key] of taken) if (!(key in spec.options)) throw new UsageError(`unknown option '${flagOf(key)}' for ${spec.name}`, `see tenantadm ${spec.name} --help`);
      const flags = foldAliases({ ...Object.fromEntries(taken), ...command.opts() }, spec.options);
      if (spec.argument) flags[spec.argument.name] = command.args[0];
      const globals = validateGlobals({ ...program.opts() });
      const invokedAs = argv.slice(2).find((a) => a === spec.name || spec.aliases.includes(a)) ?? spec.name;
      const format = formatOf(globals);
      const warnings: string[] = [];
      const bound = spec.bind(flags, { invokedAs, globals, warn: (m) => warnings.push(m) });
      invocation = { spec, invokedAs, options: bound.options, globals, format, formatGiven: globals.output !== undefined || globals.ndjson === true, warnings, run: bound.run };
    });
  }

  try {
    program.parse(argv, { from: 'node' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return { kind: 'exit', code: 0 };
      // `tenantadm help CMD` shows that help and ends with 0; with no command at all, commander shows help on stderr and 1.
      if (err.code === 'commander.help') {
        if (err.exitCode === 0) return { kind: 'exit', code: 0 };
        const args = argv.slice(2);
        if (args[0] === 'help' && args[1] !== undefined) throw new UsageError(`unknown command '${args[1]}'`, 'see tenantadm --help');
        throw new UsageError('no command given', 'see tenantadm --help');
      }
      const message = usageMessage ?? err.message.replace(/^error:\s*/, '');
      const spec = commandIn(argv.slice(2));
      const help = spec ? `see tenantadm ${spec.name} --help` : 'see tenantadm --help';
      const unknown = err.code === 'commander.unknownOption' ? /unknown option '([^']+)'/.exec(message)?.[1] : undefined;
      const renamed = unknown && spec ? renamedTo(unknown, Object.keys(spec.options)) : undefined;
      if (renamed) throw new UsageError(`unknown option '${unknown}': ${spec!.name} calls it ${flagOf(renamed)}`, help);
      throw new UsageError(message, help);
    }
    throw err;
  }
  if (!invocation) throw new UsageError('no command given', 'see tenantadm --help');
  return { kind: 'run', invocation };
}

