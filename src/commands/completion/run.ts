/** completion: print the shell completion script generated from the command table. */
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import type { CommandOptions } from '../../command';
import type { completionArgument, noOptions } from './spec';
import type { CommandSpec } from '../../command';
import { completionScript } from './script';

export type CompletionOptions = CommandOptions<typeof noOptions, typeof completionArgument>;

/** The command table hands itself in (it loads this file), so nothing here imports it. */
export async function completion(options: CompletionOptions, _deps: Deps, commands: readonly CommandSpec[]): Promise<Result> {
  return { type: 'text', text: completionScript(options.shell, commands).replace(/\n$/, '') };
}
