/**
 * Asking before data is changed: on a terminal a yes/no question on stderr; `--yes` skips it;
 * without a terminal and without `--yes` the command stops (exit 2) before reading anything.
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from './errors';

export interface ConfirmDeps {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Ask a yes/no question; injected by tests, readline on stderr otherwise. */
  ask?: (question: string) => Promise<string>;
}

/** Call before anything is read: no terminal to ask on and no --yes is a usage error. */
export function requireConsent(yes: boolean | undefined, deps: ConfirmDeps, what: string): void {
  if (yes || deps.stdin.isTTY) return;
  throw new UsageError(`${what} needs confirmation and there is no terminal to ask on`, 'add --yes to confirm in a script, or --dry-run to see what it would do');
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/** Ask once (unless --yes); anything but y/yes stops the command (exit 2) with nothing changed. */
export async function confirm(yes: boolean | undefined, deps: ConfirmDeps, question: string): Promise<void> {
  if (yes) return;
  const answer = (await (deps.ask ?? askOnTerminal)(`${question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new UsageError('not confirmed: nothing was changed');
}
