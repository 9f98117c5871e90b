/** completion: print the shell completion script generated from the command table. */
import type { Deps } from '../deps';
import type { Result } from '../output';
import type { CommandOptions, completionArgument, noOptions } from '../command-table';
import { completionScript } from '../completion';

export type CompletionOptions = CommandOptions<typeof noOptions, typeof completionArgument>;

export async function completion(options: CompletionOptions, _deps: Deps): Promise<Result> {
  return { type: 'text', text: completionScript(options.shell).replace(/\n$/, '') };
}
