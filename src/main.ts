/**
 * The entry point: parse, run one command, print its result, and map any error to an
 * exit code (errors.ts). It never calls process.exit, so piped output is never cut short.
 */
import { parse } from './cli';
import { resolveConfig, ENV } from './config';
import { asTenantadmError, exitCodeOf, UsageError } from './errors';
import { OutputClosed, Sink, render } from './output';
import { wantsColor } from './color';
import { loadSigner } from './token';
import { validateFlags } from './validate';
import type { Deps } from './deps';
import type { Store } from './store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

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
  if (!env.TENANTADM_COUNT_COMMANDS || env.TENANTADM_COUNT_COMMANDS === '0') return undefined;
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

export async function main(argv: string[]): Promise<number> {
  const counter = commandCounter(process.env);
  const sink = new Sink(process.stdout);
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  let store: Store | undefined;
  let errorFormat = errorFormatFrom(argv, process.env);
  let code = 0;
  try {
    const parsed = parse(argv, version, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    if (parsed.kind === 'exit') return parsed.code;
    const { spec, options, globals, format } = parsed.invocation;
    const config = resolveConfig(globals);
    errorFormat = config.errorFormat;

    const { schema, run } = spec.load();
    const validated = validateFlags<never>(schema, options);

    let opening: Promise<Store> | undefined;
    const deps: Deps = {
      config,
      now: () => new Date(),
      store: () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        opening ??= (require('./store') as typeof import('./store')).Store.open(config, undefined, counter?.record).then((s) => (store = s));
        return opening;
      },
      signer: () => loadSigner(config.keyFile),
      hashPassword: async (password) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const bcrypt = require('bcryptjs') as typeof import('bcryptjs');
        return bcrypt.hash(password, 10);
      },
      stdin: process.stdin,
      warn,
    };
    const result = await run(validated, deps);
    await render(result, format, sink, wantsColor(process.stdout));
    if (result.type === 'object' && result.exitCode !== undefined) code = result.exitCode;
  } catch (err) {
    if (err instanceof OutputClosed) {
      code = 0;
    } else {
      const typed = asTenantadmError(
        err instanceof Error && err.name === 'ExitPromptError' ? new UsageError('cancelled at the prompt') : err,
      );
      code = exitCodeOf(typed);
      if (errorFormat === 'json') {
        process.stderr.write(`${JSON.stringify(typed.toJSON())}\n`);
      } else {
        const hint = typed.hint ? ` (${typed.hint})` : '';
        process.stderr.write(`tenantadm: ${typed.code === 'internal' ? 'internal error: ' : ''}${typed.message}${hint}\n`);
      }
      if (process.env.TENANTADM_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
  } finally {
    await store?.close().catch(() => undefined);
    if (counter) process.stderr.write(`${counter.report()}\n`);
    await sink.flush();
  }
  return code;
}
