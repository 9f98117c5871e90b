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

/**
 * A visible answer typed on the terminal (@inquirer/input, as the password prompt is
 * @inquirer/password): main builds `deps.ask` from its own streams with this. Ctrl-C rejects
 * with inquirer's ExitPromptError, which main reports as "interrupted; nothing was written" (130).
 */
export async function lineFromTerminal(message: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  // @inquirer/input is ESM-only; a real dynamic import keeps it out of every other path (the
  // single-file build bundles it, so its vm.Script needs no loader for it).
  const mod = (await import('@inquirer/input')) as { default: (cfg: object, ctx?: object) => Promise<string> };
  try {
    return await mod.default({ message }, { input, output });
  } catch (err) {
    // Ctrl-D, or the terminal gone, before an answer: nothing is done either.
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError' || err.name === 'CancelPromptError')) {
      throw new InterruptedError(INTERRUPTED);
    }
    throw err;
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
