/** A removal plan as printed by `delete-tenant --dry-run`: what each collection or per-tenant database loses. */
import type { Column } from '../output';
import type { RemovalRow } from '../store';

export const planColumns: Column<RemovalRow>[] = [
  { header: 'DATABASE', get: (r) => r.database },
  { header: 'COLLECTION', get: (r) => r.collection },
  { header: 'DOCUMENTS', get: (r) => r.documents },
  { header: 'ACTION', get: (r) => r.action },
];
