/** The indexes `migrate` made sure of, as printed: one line per index and what became of it. */
import type { Column } from '../output';
import type { MigrateResult } from '../store';

export const indexColumns: Column<MigrateResult>[] = [
  { header: 'DATABASE', get: (r) => r.database },
  { header: 'COLLECTION', get: (r) => r.collection },
  { header: 'INDEX', get: (r) => r.index },
  { header: 'KEYS', get: (r) => JSON.stringify(r.keys) },
  { header: 'UNIQUE', get: (r) => (r.unique ? 'yes' : '') },
  { header: 'STATE', get: (r) => r.state },
];
