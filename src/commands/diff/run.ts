/** diff: what would change to make the database match a fleet file. */
import type { OptionsOf } from '../../options';
import type { diffOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ExitCode } from '../../errors';
import { buildFleet, diffFleet } from '../../domain/fleet';
import { readFleetState } from '../../operations/fleet';
import { fleetChangeColumns, readFleetFile } from '../../views/fleet';

export type DiffOptions = OptionsOf<typeof diffOptions>;

export async function diff(options: DiffOptions, deps: Deps): Promise<Result> {
  const wanted = await readFleetFile(options.file, deps);
  const store = await deps.store();
  const current = buildFleet(await readFleetState(store), 'keep');
  const changes = diffFleet(current, wanted, { prune: options.prune === true });
  return { type: 'list', rows: changes, columns: fleetChangeColumns, noun: 'changes', exitCode: () => (changes.length > 0 ? ExitCode.changesFound : undefined) };
}
