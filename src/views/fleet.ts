/** A fleet diff as printed for people: one line per change, grouped by tenant. */
import type { Column } from '../output';
import type { FleetChange } from '../domain/fleet';

function shown(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const fleetChangeColumns: Column<FleetChange>[] = [
  { header: 'TENANT', get: (c) => c.tenant, keep: true },
  { header: 'ID', get: (c) => c.id ?? '', keep: true, optional: true },
  { header: 'ACTION', get: (c) => c.action },
  { header: 'FIELD', get: (c) => c.field ?? '' },
  { header: 'BEFORE', get: (c) => shown(c.before) },
  { header: 'AFTER', get: (c) => shown(c.after) },
];
