/** repair: settle operations left half-done by killed processes. */
import type { OptionsOf } from '../../options';
import type { repairOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { confirmYes, consentNeeded } from '../../confirm';

export type RepairOptions = OptionsOf<typeof repairOptions>;

/**
 * Settle operations left by processes that died: roll back unfinished ones, finish
 * committed ones. `--all` also takes operations whose owner may still be running.
 */
export async function repair(options: RepairOptions, deps: Deps): Promise<Result> {
  if (options.all && consentNeeded(options.yes, 'repair --all', deps)) {
    await confirmYes('Settle every unfinished operation, including ones whose owner may still be running (rolling back or finishing its change)?', deps);
  }
  const store = await deps.store();
  const report = await store.repair(options.all === true);
  return { type: 'object', data: report };
}
