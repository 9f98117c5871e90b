import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import type { MigrateResult } from '../store';

export const schema = { type: 'object', properties: {}, additionalProperties: false } as const;
export type MigrateOptions = FromSchema<typeof schema>;

const columns: Column<MigrateResult>[] = [
  { header: 'DATABASE', get: (r) => r.database },
  { header: 'COLLECTION', get: (r) => r.collection },
  { header: 'INDEX', get: (r) => r.index },
  { header: 'KEYS', get: (r) => JSON.stringify(r.keys) },
  { header: 'UNIQUE', get: (r) => (r.unique ? 'yes' : '') },
  { header: 'CREATED', get: (r) => (r.created ? 'yes' : 'existed') },
];

export async function migrate(_options: MigrateOptions, deps: Deps): Promise<Result> {
  const store = await deps.store();
  const rows = await store.migrate();
  return { type: 'list', rows, columns: columns as Column<never>[] };
}
