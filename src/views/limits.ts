/** Device limit changes as printed: one line per tenant and kind, before and after, and what became of deviceauth's cache. */
import type { Column } from '../output';
import { formatLimit, type LimitKind } from '../domain/tenant';
import type { RefreshState } from '../mender/limit-cache';

export interface LimitRow {
  /** The tenant's id. */
  id: string;
  name: string;
  kind: LimitKind;
  before: number;
  after: number;
  changed: boolean;
  /** How deviceauth's cached limit was made stale: by its own API (service), by us, or not; null when nothing was written. */
  cache: RefreshState | null;
}

export const limitColumns: Column<LimitRow>[] = [
  { header: 'ID', get: (r) => r.id, keep: true },
  { header: 'NAME', get: (r) => r.name, keep: true },
  { header: 'KIND', get: (r) => r.kind },
  { header: 'BEFORE', get: (r) => formatLimit(r.before) },
  { header: 'AFTER', get: (r) => formatLimit(r.after) },
  { header: 'CACHE', get: (r) => r.cache ?? '' },
];
