/**
 * Consent before access or data is taken away (removing tenants or users, suspending,
 * rotating a token, forcing repairs). A terminal is asked once, naming what will happen;
 * `--yes` answers for scripts; with no terminal (or `--no-input` / TENANTADM_NO_INPUT) and no
 * `--yes` the command stops with exit 2 before it reads anything.
 */
import { InterruptedError, UsageError } from './errors';
import type { Deps } from './deps';

export type ConsentDeps = Pick<Deps, 'stdin' | 'config' | 'ask'>;

/**
 * Call first, before anything is read. Returns true when a question will be asked (a
 * terminal, no --yes); throws exit 2 when it cannot be asked.
 */
export function consentNeeded(yes: boolean | undefined, what: string, deps: ConsentDeps): boolean {
  if (yes) return false;
  if (deps.config.noInput) {
    throw new UsageError(`${what} needs confirmation, and --no-input forbids asking`, 'add --yes to confirm it');
  }
  if (!deps.stdin.isTTY) {
    throw new UsageError(`${what} needs confirmation, and there is no terminal to ask on`, 'add --yes to confirm it in a script');
  }
  return true;
}

/** A visible answer typed on the terminal: main builds `deps.ask` from its own streams with this. */
export async function lineFromTerminal(message: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  // require, not import(): the single-file build runs in a vm.Script (launch.ts), which has no
  // loader for import() ("A dynamic import callback was not specified", exit 1 at the prompt).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const readline = require('node:readline/promises') as typeof import('node:readline/promises');
  const rl = readline.createInterface({ input, output, terminal: true });
  // Ctrl-C (SIGINT on the line) or Ctrl-D (the input closed) before an answer: nothing is done,
  // as at the password prompt (exit 130), instead of a question that never settles.
  let answered = false;
  const interrupted = new Promise<never>((_, reject) => {
    const stop = () => {
      if (!answered) reject(new InterruptedError(INTERRUPTED));
    };
    rl.on('SIGINT', stop);
    rl.on('close', stop);
  });
  try {
    const answer = await Promise.race([rl.question(`${message} `), interrupted]);
    answered = true;
    return answer;
  } catch (err) {
    if (err instanceof InterruptedError || (err instanceof Error && err.name === 'AbortError')) {
      output.write('\n');
      throw new InterruptedError(INTERRUPTED);
    }
    throw err;
  } finally {
    answered = true;
    rl.close();
  }
}

/** What is said when a person stops a prompt. */
export const INTERRUPTED = 'interrupted; nothing was written';

/** Ask a yes/no question on the terminal; anything but yes cancels (exit 2, nothing done). */
export async function confirmYes(question: string, deps: ConsentDeps): Promise<void> {
  const answer = (await (deps.ask ?? ((m: string) => lineFromTerminal(m)))(`${question} [y/N]`)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new UsageError('cancelled at the prompt: nothing was changed');
}

/** Ask for a word (a tenant's name) to be typed back exactly; anything else cancels. */
export async function confirmByTyping(question: string, expected: string, deps: ConsentDeps): Promise<void> {
  const answer = await (deps.ask ?? ((m: string) => lineFromTerminal(m)))(question);
  if (answer.trim() !== expected) throw new UsageError('cancelled at the prompt: what was typed does not match; nothing was changed');
}
