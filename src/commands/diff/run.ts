/** diff: what would change to make the database match a fleet file. */
import type { OptionsOf } from '../../options';
import type { diffOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ExitCode } from '../../errors';
import { buildFleet, diffFleet, type FleetTenant } from '../../domain/fleet';
import { readFleetState } from '../../operations/fleet';
import { fleetChangeColumns, readFleetFile } from '../../views/fleet';
import { PendingTenants } from '../../operations/pending';

export type DiffOptions = OptionsOf<typeof diffOptions>;

export async function diff(options: DiffOptions, deps: Deps): Promise<Result> {
  const wanted = await readFleetFile(options.file, deps);
  const store = await deps.store();
  const state = await readFleetState(store);
  // Changes computed against a tenant an operation is still writing would mislead a script:
  // exit 4 naming the operation when the file names that tenant (or with --prune, any). One
  // read of the journal (docs/fleet.md).
  const pending = await PendingTenants.read(store, deps);
  if (!pending.none) {
    const named = { ids: new Set<string>(), names: new Set<string>() };
    const walk = (ts: readonly FleetTenant[] | undefined) => {
      for (const t of ts ?? []) {
        if (t.id !== undefined) named.ids.add(t.id);
        named.names.add(t.name);
        walk(t.children);
      }
    };
    walk(wanted.tenants);
    pending.refuseAny(options.prune === true ? state.tenants : state.tenants.filter((t) => named.ids.has(t.id) || named.names.has(t.name)), 'a diff');
  }
  const current = buildFleet(state, 'keep');
  const changes = diffFleet(current, wanted, { prune: options.prune === true });
  return { type: 'list', rows: changes, columns: fleetChangeColumns, noun: 'changes', exitCode: () => (changes.length > 0 ? ExitCode.changesFound : undefined) };
}
