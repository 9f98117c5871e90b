/** `check` as printed: one table row per finding or repair. */
import type { Column } from '../output';
import type { Finding, RepairAction } from '../store';

export interface FindingRow {
  status: string;
  kind: string;
  where: string;
  count: number;
  sample_ids: string[];
  detail: string;
}

export const findingColumns: Column<FindingRow>[] = [
  { header: 'STATUS', get: (r) => r.status },
  // The kind says what was found: never cut. Samples and details give way first on a narrow terminal.
  { header: 'KIND', get: (r) => r.kind, keep: true },
  { header: 'WHERE', get: (r) => r.where },
  { header: 'COUNT', get: (r) => r.count, keep: true },
  { header: 'SAMPLE IDS', get: (r) => r.sample_ids.join(' '), optional: true },
  { header: 'DETAIL', get: (r) => r.detail, optional: true },
];

export function findingRow(f: Finding, status: string): FindingRow {
  const where = f.database ? `${f.database}${f.collection ? `.${f.collection}` : ''}` : '';
  const kind = f.limit_kind ? `${f.kind} (${f.limit_kind})` : f.kind;
  return { status, kind, where, count: f.count, sample_ids: f.sample_ids, detail: f.detail };
}

export function repairRow(a: RepairAction): FindingRow {
  return { status: a.action, kind: a.kind, where: '', count: a.count, sample_ids: a.sample_ids, detail: '' };
}
