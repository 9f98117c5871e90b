/** migrate: the indexes writes rely on, on the tool's collections and Mender's own definitions only. */
import type { OptionsOf } from '../../options';
import type { noOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { indexColumns } from '../../views/indexes';

export type MigrateOptions = OptionsOf<typeof noOptions>;

export async function migrate(_options: MigrateOptions, deps: Deps): Promise<Result> {
  const store = await deps.store();
  const rows = await store.migrate();
  // Mender allows two tenants with one name; the tool only refuses to create a second one.
  for (const d of await store.duplicateNames()) {
    deps.warn(`${d.ids.length} tenants are named "${d.name}": ${d.ids.join(', ')} (new tenants and renames to this name are refused)`);
  }
  return { type: 'list', rows, columns: indexColumns };
}
