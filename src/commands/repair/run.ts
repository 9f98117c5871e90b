/** repair: settle operations left half-done by killed processes. */
import type { OptionsOf } from '../../options';
import type { repairOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { confirmYes, consentNeeded } from '../../confirm';

export type RepairOptions = OptionsOf<typeof repairOptions>;

/**
 * Settle operations left by processes that died: roll back unfinished ones, finish
 * committed ones. `--all` also ends the ownership of live owners (never takes them over).
 */
export async function repair(options: RepairOptions, deps: Deps): Promise<Result> {
  if (options.all && consentNeeded(options.yes, 'repair --all', deps)) {
    await confirmYes('Settle every unfinished operation, and end the ownership of those whose owner is still running (it stops; they are settled once its lease runs out)?', deps);
  }
  const store = await deps.store();
  const report = await store.repair(options.all === true);
  return { type: 'object', data: report };
}
