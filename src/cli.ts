/**
 * The parser: builds commander from the command table, and hands each command its
 * validated options. Nothing here touches the database or prints data.
 */
import { Command, Option, CommanderError } from 'commander';
import { commands, type CommandSpec, type OptionSpec } from './command-table';
import { ENV, DEFAULTS, type GlobalFlags } from './config';
import { UsageError } from './errors';
import type { Format } from './output';

export const globalOptions: OptionSpec[] = [
  { flags: '--mongo <url>', description: `MongoDB URL (env ${ENV.mongo}, default ${DEFAULTS.mongo})` },
  { flags: '--timeout <ms>', description: `connect and server-selection timeout (env ${ENV.timeout}, default ${DEFAULTS.timeoutMs})` },
  { flags: '--tenantadm-db <name>', description: `tenant database (env ${ENV.tenantadmDb}, default ${DEFAULTS.tenantadmDb})` },
  { flags: '--useradm-db <name>', description: `user database (env ${ENV.useradmDb}, default ${DEFAULTS.useradmDb})` },
  { flags: '--deviceauth-db <name>', description: `device-auth database (env ${ENV.deviceauthDb}, default ${DEFAULTS.deviceauthDb})` },
  { flags: '--audit-db <name>', description: `audit database (env ${ENV.auditDb}, default ${DEFAULTS.auditDb})` },
  { flags: '--audit-collection <name>', description: `audit collection (env ${ENV.auditCollection}, default ${DEFAULTS.auditCollection})` },
  { flags: '--key-file <file>', description: `RSA private key that signs tenant tokens (env ${ENV.keyFile})` },
  { flags: '--redis-url <url>', description: `device-auth's Redis, to invalidate cached limits (env ${ENV.redisUrl}), e.g. redis://host:6379/0; a password is better kept in the environment` },
  { flags: '--redis-key-prefix <prefix>', description: `device-auth's cache key prefix (env ${ENV.redisKeyPrefix}, default ${DEFAULTS.redisKeyPrefix})` },
  { flags: '--mender-schema <profile>', description: `limit semantics: legacy (Mender <= 4.1: 0 unlimited) or v2 (-1 unlimited, 0 none); detected from deviceauth when not given (env ${ENV.menderSchema})` },
  { flags: '--deviceauth-addr <url>', description: `device-auth service, e.g. http://mender-device-auth:8080 (env ${ENV.deviceauthAddr})` },
  { flags: '--useradm-addr <url>', description: `user service, e.g. http://mender-useradm:8080 (env ${ENV.useradmAddr})` },
  { flags: '--deployments-addr <url>', description: `deployments service, e.g. http://mender-deployments:8080 (env ${ENV.deploymentsAddr})` },
  { flags: '--actor <name>', description: `who is acting, for the audit log (env ${ENV.actor}, default user@host)` },
  { flags: '-o, --output <format>', description: 'json (default), ndjson, table or csv' },
  { flags: '--ndjson', description: 'same as -o ndjson: one JSON object a line' },
  { flags: '--error-format <format>', description: `text (default) or json (env ${ENV.errorFormat})` },
  { flags: '--no-input', description: `never prompt (confirmations, passwords): what would be asked is exit 2; give --yes or a password source (env ${ENV.noInput}=1)` },
];

export interface Invocation {
  spec: CommandSpec;
  invokedAs: string;
  options: Record<string, unknown>;
  globals: GlobalFlags;
  format: Format;
}

export type ParseOutcome = { kind: 'run'; invocation: Invocation } | { kind: 'exit'; code: number };

const FORMATS: Format[] = ['json', 'ndjson', 'table', 'csv'];

function addOption(cmd: Command, spec: OptionSpec): void {
  const opt = new Option(spec.flags, spec.description);
  if (spec.hidden) opt.hideHelp();
  if (spec.repeatable) opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  cmd.addOption(opt);
}

function helpExamples(spec: CommandSpec): string {
  return `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`;
}

export function exitCodesHelp(): string {
  return [
    '',
    'Exit codes:',
    '  0 ok   1 internal error   2 invalid usage or input   3 not found',
    '  4 conflict (already exists, concurrent change)   5 a rule would be broken',
    '  6 database or Mender service unreachable   7 a Mender service refused the change',
    '',
    'stdout carries only data (JSON, NDJSON, a table or CSV); messages go to stderr.',
    'See tenantadm(1) for the environment variables and the contract for scripts.',
    '',
  ].join('\n');
}

/** Parse argv into one invocation; help and version are printed here (to stdout) and end the run. */
export function parse(argv: string[], version: string, io: { out: (s: string) => void; err: (s: string) => void }): ParseOutcome {
  let invocation: Invocation | undefined;
  let usageMessage: string | undefined;

  const program = new Command('tenantadm')
    .description('Administer the tenants of a multi-tenant Mender server directly in its MongoDB.')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Captured so that our own reporter prints it once, in the chosen error format.
      outputError: (str) => {
        usageMessage = str.replace(/^error:\s*/, '').trim();
      },
    })
    .exitOverride()
    .addHelpText('after', exitCodesHelp());
  for (const opt of globalOptions) addOption(program, opt);

  const groups = new Map<string, Command>();
  for (const spec of commands) {
    // "maintenance delete-suspended-tenants": a subcommand of a group command, as Mender's own CLI spells it.
    const [head, sub] = spec.name.split(' ') as [string, string | undefined];
    let parent: Command = program;
    if (sub !== undefined) {
      let group = groups.get(head);
      if (!group) {
        group = program.command(head).summary(`${head} jobs over many tenants (see tenantadm ${head} --help)`);
        group.configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (str) => (usageMessage = str.replace(/^error:\s*/, '').trim()) });
        group.exitOverride();
        groups.set(head, group);
      }
      parent = group;
    }
    const cmd = parent.command(sub ?? head).summary(spec.summary).description(spec.description ?? spec.summary);
    for (const alias of spec.aliases ?? []) cmd.alias(alias);
    for (const opt of spec.options) addOption(cmd, opt);
    cmd.addHelpText('after', helpExamples(spec));
    cmd.configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (str) => (usageMessage = str.replace(/^error:\s*/, '').trim()) });
    cmd.exitOverride();
    cmd.allowExcessArguments(false);
    cmd.action((opts: Record<string, unknown>, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalFlags & { output?: string; ndjson?: boolean };
      const invokedAs = command.args.length >= 0 ? (argv.find((a) => a === spec.name || spec.aliases?.includes(a)) ?? spec.name) : spec.name;
      let format: Format = 'json';
      if (globals.ndjson) format = 'ndjson';
      if (globals.output !== undefined) {
        if (!FORMATS.includes(globals.output as Format)) {
          throw new UsageError(`unknown output format "${globals.output}"`, `use one of ${FORMATS.join(', ')}`);
        }
        if (globals.ndjson && globals.output !== 'ndjson') throw new UsageError('--ndjson and -o disagree', 'give one of them');
        format = globals.output as Format;
      }
      const options = spec.adapt ? spec.adapt({ ...opts }, invokedAs, globals) : { ...opts };
      invocation = { spec, invokedAs, options, globals, format };
    });
  }

  try {
    program.parse(argv, { from: 'node' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
        return { kind: 'exit', code: 0 };
      }
      if (err.code === 'commander.executeSubCommandAsync') return { kind: 'exit', code: 0 };
      // 'commander.help' is the help commander shows (on stderr) when no command was given.
      if (err.code === 'commander.help') throw new UsageError('no command given', 'see tenantadm --help');
      throw new UsageError(usageMessage ?? err.message.replace(/^error:\s*/, ''), 'see tenantadm --help');
    }
    throw err;
  }
  if (!invocation) throw new UsageError('no command given', 'see tenantadm --help');
  return { kind: 'run', invocation };
}
