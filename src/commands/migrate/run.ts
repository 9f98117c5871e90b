/** migrate: the indexes writes rely on, on the tool's collections and Mender's own definitions only. */
import type { OptionsOf } from '../../options';
import type { noOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result, Column } from '../../output';
import type { MigrateResult } from '../../store';

export type MigrateOptions = OptionsOf<typeof noOptions>;

const columns: Column<MigrateResult>[] = [
  { header: 'DATABASE', get: (r) => r.database },
  { header: 'COLLECTION', get: (r) => r.collection },
  { header: 'INDEX', get: (r) => r.index },
  { header: 'KEYS', get: (r) => JSON.stringify(r.keys) },
  { header: 'UNIQUE', get: (r) => (r.unique ? 'yes' : '') },
  { header: 'STATE', get: (r) => r.state },
];

export async function migrate(_options: MigrateOptions, deps: Deps): Promise<Result> {
  const store = await deps.store();
  const rows = await store.migrate();
  // Mender allows two tenants with one name; the tool only refuses to create a second one.
  for (const d of await store.duplicateNames()) {
    deps.warn(`${d.ids.length} tenants are named "${d.name}": ${d.ids.join(', ')} (new tenants and renames to this name are refused)`);
  }
  return { type: 'list', rows, columns: columns };
}
