/** export: the tenants as a fleet file, secrets replaced by references. */
import type { OptionsOf } from '../../options';
import type { exportOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { parseTenantId } from '../../domain/tenant';
import { buildFleet } from '../../domain/fleet';
import { readFleetState } from '../../operations/fleet';
import { fleetYaml } from '../../views/fleet';
import { PendingTenants } from '../../operations/pending';

export type ExportOptions = OptionsOf<typeof exportOptions>;

export async function exportFleet(options: ExportOptions, deps: Deps): Promise<Result> {
  const tenant = options.tenant === undefined ? undefined : parseTenantId(options.tenant);
  const parent = options.parent === undefined ? undefined : parseTenantId(options.parent, 'Service Provider id');
  const store = await deps.store();
  const state = await readFleetState(store, { ...(tenant ? { tenant } : {}), ...(parent ? { parent } : {}) });
  // A tenant an operation is still writing is exported as it stands, and said on stderr (docs/fleet.md).
  const pending = await PendingTenants.read(store, deps);
  for (const t of state.tenants) pending.note(t);
  const doc = buildFleet(state);
  if (options.format === 'json') return { type: 'text', text: `${JSON.stringify(doc, null, 2)}\n` };
  return { type: 'text', text: fleetYaml(doc) };
}
