/** A usage report as printed: one numeric column per tier and figure; an unlimited limit is an empty cell named in UNLIMITED. */
import type { Column } from '../output';
import { LIMIT_KINDS, type LimitKind } from '../domain/tenant';
import type { ReportRow, TierFigures } from '../domain/usage-report';

const SUFFIX: Record<LimitKind, string> = { max_devices: '', max_micro_devices: '_MICRO', max_system_devices: '_SYSTEM' };
const FIGURES: [keyof TierFigures, string][] = [
  ['device_days', 'DEVICE_DAYS'],
  ['peak', 'PEAK'],
  ['average', 'AVERAGE'],
  ['end', 'END'],
  ['limit_end', 'LIMIT_END'],
];

export const usageReportColumns: Column<ReportRow>[] = [
  { header: 'ID', get: (r) => r.id, keep: true },
  { header: 'NAME', get: (r) => r.name },
  { header: 'ROW', get: (r) => r.row },
  { header: 'PARENT', get: (r) => r.parent_tenant_id ?? '', optional: true },
  { header: 'PERIOD', get: (r) => r.period, optional: true },
  { header: 'DAYS_RECORDED', get: (r) => r.days_recorded },
  { header: 'DAYS_MISSING', get: (r) => r.days_missing },
  ...LIMIT_KINDS.flatMap((k) =>
    FIGURES.map(([f, label]) => ({
      header: `${label}${SUFFIX[k]}`,
      get: (r: ReportRow) => (f === 'limit_end' && r.tiers[k].limit_end < 0 ? '' : r.tiers[k][f]),
      ...(k === 'max_devices' ? {} : { optional: true }),
    })),
  ),
  { header: 'UNLIMITED', get: (r) => LIMIT_KINDS.filter((k) => r.tiers[k].limit_end < 0).join(' '), optional: true },
];
