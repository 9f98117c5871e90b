/**
 * The entry point: parse, run one command, print its result, and map any error to an
 * exit code (errors.ts). Everything it touches of the process comes in as `ProcessIo`
 * (argv, environment, standard streams), so a run can happen in-process as well as in a
 * real process; it never calls process.exit, so piped output is never cut short.
 */
import type { Writable } from 'node:stream';
import { resolveConfig, ENV, FORMATS } from './config';
import { asTenantadmError, exitCodeOf, FollowUpPending, InterruptedError, UsageError, type DatabaseContext, type TenantadmError } from './errors';
import { OutputClosed, Sink, render, type Format } from './output';
import { ProgressLine } from './progress';
import { wantsColor } from './color';
import { redactSecrets, hiddenPrompt } from './secrets';
import { prebuiltHelp } from './cli/help';
import type { Deps } from './deps';
import type { Store } from './store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** A standard stream as main uses it: writable, maybe a terminal of some width. */
export type OutStream = Writable & { isTTY?: boolean; columns?: number };

/** What a run reads from and writes to: the real process's, or a test's. */
export interface ProcessIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: OutStream;
  stderr: OutStream;
  /** Answers a visible question on the terminal (confirmations); tests in-process give their own. */
  ask?: (message: string) => Promise<string>;
}

export function processIo(): ProcessIo {
  return { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

function errorFormatFrom(argv: string[], env: NodeJS.ProcessEnv): 'text' | 'json' {
  const i = argv.findIndex((a) => a === '--error-format' || a.startsWith('--error-format='));
  const raw = i < 0 ? env[ENV.errorFormat] : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  return raw === 'json' ? 'json' : 'text';
}

/**
 * Debug and benchmark hook: `TENANTADM_COUNT_COMMANDS=1` counts the database commands the run
 * sends (the driver's command monitoring) and prints the count on stderr at exit.
 */
function commandCounter(env: NodeJS.ProcessEnv): { record: (name: string) => void; report: () => string } | undefined {
  if (!env[ENV.countCommands] || env[ENV.countCommands] === '0') return undefined;
  const byName = new Map<string, number>();
  return {
    record: (name) => byName.set(name, (byName.get(name) ?? 0) + 1),
    report: () => {
      const total = [...byName.values()].reduce((a, b) => a + b, 0);
      const detail = [...byName].map(([name, n]) => `${name} ${n}`).join(', ');
      return `tenantadm: debug: ${total} database commands${detail ? ` (${detail})` : ''}`;
    },
  };
}

/** The terminal's width for tables: the stream's own, then $COLUMNS, then 80. */
function terminalWidth(stdout: OutStream, env: NodeJS.ProcessEnv): number {
  if (stdout.isTTY && stdout.columns) return stdout.columns;
  const fromEnv = Number(env[ENV.columns]);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

/** The format when no -o/--ndjson was given: TENANTADM_OUTPUT on a terminal, JSON otherwise. */
function defaultFormat(stdout: OutStream, env: NodeJS.ProcessEnv, fallback: Format): Format {
  const wanted = env[ENV.output];
  if (!stdout.isTTY || wanted === undefined || wanted === '') return fallback;
  if (!(FORMATS as readonly string[]).includes(wanted)) {
    throw new UsageError(`invalid ${ENV.output} "${wanted}"`, `use one of ${FORMATS.join(', ')}`);
  }
  return wanted as Format;
}

/**
 * Parse argv; at a terminal (and without --no-input) a missing required text option is asked
 * for and the line parsed again with it, as a person would have typed it. Anywhere else the
 * missing option stays exit 2.
 */
async function parseAsking<T>(argv: string[], parse: (argv: string[]) => T, io: ProcessIo): Promise<T> {
  const interactive = io.stdin.isTTY === true && io.stderr.isTTY === true && !argv.includes('--no-input') && !/^(1|true|yes)$/i.test(io.env[ENV.noInput] ?? '');
  let args = argv;
  for (let asked = 0; ; asked++) {
    try {
      return parse(args);
    } catch (err) {
      const missing = err instanceof UsageError ? (err.details as { missing?: string; prompt?: string } | undefined) : undefined;
      if (!interactive || missing?.missing === undefined || asked >= 10) throw err;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { lineFromTerminal } = require('./confirm') as typeof import('./confirm');
      const answer = (await lineFromTerminal(`${missing.missing} (${missing.prompt}):`, io.stdin, io.stderr)).trim();
      if (answer === '') throw err;
      args = [...args, missing.missing, answer];
    }
  }
}

/** Translate database errors wherever they were thrown (a read that failed mid-stream too). */
function typedError(err: unknown, database: DatabaseContext) {
  // @inquirer's prompt rejects with ExitPromptError on Ctrl-C: the shell's code for SIGINT, nothing written.
  if (err instanceof Error && err.name === 'ExitPromptError') return new InterruptedError('interrupted; nothing was written');
  return asTenantadmError(err, database);
}

/** What the journal left pending after the commit (journal.ts `followUps`), as one report. */
function followUpError(pending: readonly { waiting: number; failure: TenantadmError }[]): TenantadmError {
  const waiting = pending.reduce((n, p) => n + p.waiting, 0);
  const why = pending[0]!.failure;
  return new FollowUpPending(
    `the change is committed, but ${waiting} audit entr${waiting === 1 ? 'y' : 'ies'} did not reach Mender's audit log: ${why.message}`,
    "they are kept in the tool's log; run `tenantadm audit forward` once the workflows service answers",
    { waiting, cause: why.toJSON().error },
  );
}

/** `argv` as process.argv has it (node, script, arguments...). */
export async function main(argv: string[], io: ProcessIo = processIo()): Promise<number> {
  const { env, stdout, stderr } = io;
  const counter = commandCounter(env);
  // Help or the version asked for and nothing else: answered without loading the parser.
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    stdout.write(`${version}\n`);
    return 0;
  }
  const help = prebuiltHelp(argv);
  if (help !== undefined) {
    stdout.write(help);
    return 0;
  }
  const sink = new Sink(stdout);
  let progress = new ProgressLine(stderr, { enabled: false, debug: Boolean(env[ENV.debug]) });
  // Every message goes through redactSecrets: a driver error may quote the URL or a password.
  const writeErr = (s: string) => {
    progress.clear();
    stderr.write(redactSecrets(s));
  };
  // The one warning prefix: commands say what is wrong, main says that it is a warning. Each
  // warning is said once a run, and not at all with -q (doctor lists the standing ones).
  let quiet = false;
  const said = new Set<string>();
  const warn = (message: string) => {
    if (quiet || said.has(message)) return;
    said.add(message);
    writeErr(`tenantadm: warning: ${message}\n`);
  };
  let store: Store | undefined;
  let errorFormat = errorFormatFrom(argv, env);
  /** Where the database is, for messages about errors that escaped the store (a cursor read mid-listing). */
  let database: DatabaseContext = {};
  let code = 0;
  const report = (typed: TenantadmError) => {
    if (errorFormat === 'json') {
      writeErr(`${JSON.stringify(typed.toJSON())}\n`);
    } else {
      const hint = typed.hint ? ` (${typed.hint})` : '';
      writeErr(`tenantadm: ${typed.code === 'internal' ? 'internal error: ' : ''}${typed.message}${hint}\n`);
    }
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse } = require('./cli/parse') as typeof import('./cli/parse');
    const parsed = await parseAsking(argv, (args) => parse(args, version, { out: (s) => stdout.write(s), err: writeErr }), io);
    if (parsed.kind === 'exit') return parsed.code;
    const { run, globals } = parsed.invocation;
    quiet = globals.quiet === true;
    // TENANTADM_OUTPUT is a person's default at a terminal; piped output stays JSON for scripts.
    const format = parsed.invocation.formatGiven ? parsed.invocation.format : defaultFormat(stdout, env, parsed.invocation.format);
    const config = resolveConfig(globals, env, warn);
    for (const w of parsed.invocation.warnings) warn(w);
    errorFormat = config.errorFormat;
    database = { target: config.mongoTarget, timeoutMs: config.timeoutMs };
    // Progress only for a person watching a terminal, and never with --quiet.
    progress = new ProgressLine(stderr, { enabled: stderr.isTTY === true && !globals.quiet, debug: Boolean(env[ENV.debug]) });

    // The journal's test hooks, read here once and injected (journal/test-hooks.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const testHooks = (require('./journal/test-hooks') as typeof import('./journal/test-hooks')).testHooksFrom(env, warn);
    let opening: Promise<Store> | undefined;
    const deps: Deps = {
      config,
      now: () => new Date(),
      store: () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        opening ??= (require('./store') as typeof import('./store')).Store.open(config, { ...testHooks, notice: warn, quiet: globals.quiet === true, onCommand: counter?.record }).then((s) => (store = s));
        return opening;
      },
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      signer: () => (require('./token') as typeof import('./token')).loadSigner(config.keyFile),
      hashPassword: async (password) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const bcrypt = require('bcryptjs') as typeof import('bcryptjs');
        return bcrypt.hash(password, testHooks.bcryptCost ?? 10);
      },
      stdin: io.stdin,
      env,
      noInput: config.noInput,
      warn,
      prompt: (message) => hiddenPrompt(message, io.stdin, stderr),
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ask: io.ask ?? ((message) => (require('./confirm') as typeof import('./confirm')).lineFromTerminal(message, io.stdin, stderr)),
      warned: new Set(),
      quiet: globals.quiet === true,
      progress: (label, total) => progress.start(label, total),
    };
    const result = await run(deps);
    // On a terminal the progress line shares the screen with the table: erased before each write.
    if (stdout.isTTY) sink.beforeWrite = () => progress.clear();
    await render(result, format, sink, {
      color: wantsColor(stdout, env),
      width: terminalWidth(stdout, env),
      wide: globals.wide === true,
      terminal: stdout.isTTY === true,
      // What a person should know about a table (columns left out, nothing found); not with -q.
      notice: (line) => {
        if (!globals.quiet) writeErr(`tenantadm: ${line}\n`);
      },
    });
    if (result.type === 'object' && result.exitCode !== undefined) code = result.exitCode;
    if (result.type === 'list' && result.exitCode) code = result.exitCode() ?? code;
    // The change stands and its data is out; what did not follow it (Mender's audit log) is exit 8.
    const pending = (store as Store | undefined)?.journal.followUps ?? [];
    if (pending.length > 0 && code === 0) {
      const typed = followUpError(pending);
      code = exitCodeOf(typed);
      report(typed);
    }
  } catch (err) {
    if (err instanceof OutputClosed) {
      code = 0;
    } else {
      const typed = typedError(err, database);
      code = exitCodeOf(typed);
      report(typed);
      if (env[ENV.debug] && err instanceof Error && err.stack) writeErr(`${err.stack}\n`);
    }
  } finally {
    progress.stopAll();
    await store?.close().catch(() => undefined);
    if (counter) writeErr(`${counter.report()}\n`);
    await sink.flush();
  }
  return code;
}
