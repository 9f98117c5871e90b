/** __complete: tenant ids or names, one a line, for the completion scripts. */
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import type { CommandOptions } from '../../command';
import type { completeArgument, noOptions } from './spec';

export type CompleteOptions = CommandOptions<typeof noOptions, typeof completeArgument>;

/** More than this is no help at a prompt. */
const MAX = 1000;

export async function complete(options: CompleteOptions, deps: Deps): Promise<Result> {
  const store = await deps.store();
  const words = new Set<string>();
  for await (const t of store.tenants.names()) {
    const word = options.what === 'tenant-ids' ? t.id : t.name;
    // A name with a newline could not be one line of the answer.
    if (word !== '' && !word.includes('\n')) words.add(word);
    if (words.size >= MAX) break;
  }
  return { type: 'text', text: [...words].join('\n') };
}
