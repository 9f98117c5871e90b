/**
 * Usage as printed for billing: status, plan, device counts, each limit kind, and a Service
 * Provider's allocation. In a table or CSV every numeric column holds only numbers: an
 * unlimited figure is an empty cell, named in the UNLIMITED column (JSON keeps -1).
 */
import type { Column } from '../output';
import { LIMIT_KINDS, UNLIMITED, type LimitKind } from '../domain/tenant';
import type { DeviceCounts } from '../store/devices';

export type PerKind = Record<LimitKind, number>;

export interface UsageRow {
  /** The tenant's id; null on the totals row of `usage --tree`. */
  id: string | null;
  name: string;
  status: string;
  plan: string;
  service_provider: boolean;
  parent_tenant_id: string | null;
  devices: DeviceCounts;
  /** Each limit kind: -1 unlimited (also when no limit document exists); null on the totals row. */
  limits: PerKind | null;
  /** Service Providers only: how many children, what they were given and what is left (-1: no cap). */
  children?: number;
  allocated?: PerKind;
  free?: PerKind;
  /**
   * Devices per tier (standard max_devices, micro, system), where the tenant's device records
   * carry a tier; absent otherwise (open-source deviceauth stores none: `devices` is the total).
   */
  by_tier?: Record<LimitKind, { accepted: number; pending: number; preauthorized: number }>;
  /** When the figures were read (one time for the whole run). */
  as_of: string;
  /** `usage --tree`: the row that adds up the Service Provider and its children. */
  total?: true;
}

const KIND_SUFFIX: Record<LimitKind, string> = { max_devices: '', max_micro_devices: '_MICRO', max_system_devices: '_SYSTEM' };

/** The figure groups that may be unlimited, and how their columns are named. */
const GROUPS: { label: string; pick: (r: UsageRow) => PerKind | null | undefined }[] = [
  { label: 'LIMIT', pick: (r) => r.limits },
  { label: 'ALLOCATED', pick: (r) => r.allocated },
  { label: 'FREE', pick: (r) => r.free },
];

const kindColumns = (label: string, pick: (r: UsageRow) => PerKind | null | undefined): Column<UsageRow>[] =>
  LIMIT_KINDS.map((k) => ({
    header: `${label}${KIND_SUFFIX[k]}`,
    // A number or an empty cell, so a spreadsheet can add the column up.
    get: (r) => {
      const v = pick(r)?.[k];
      return v === undefined || v === UNLIMITED ? '' : v;
    },
    // Micro and system device limits are rare: a narrow table shows max_devices only.
    ...(k === 'max_devices' ? {} : { optional: true }),
  }));

/** The columns whose figure is unlimited in this row, e.g. "LIMIT_MICRO LIMIT_SYSTEM". */
function unlimitedIn(r: UsageRow): string {
  return GROUPS.flatMap(({ label, pick }) => LIMIT_KINDS.filter((k) => pick(r)?.[k] === UNLIMITED).map((k) => `${label}${KIND_SUFFIX[k]}`)).join(' ');
}

export const usageColumns: Column<UsageRow>[] = [
  { header: 'ID', get: (r) => r.id ?? '', keep: true },
  { header: 'NAME', get: (r) => r.name, keep: true },
  { header: 'STATUS', get: (r) => r.status },
  { header: 'PLAN', get: (r) => r.plan, optional: true },
  { header: 'SP', get: (r) => (r.service_provider ? 'yes' : '') },
  { header: 'PARENT', get: (r) => r.parent_tenant_id ?? '', keep: true, optional: true },
  { header: 'ACCEPTED', get: (r) => r.devices.accepted },
  { header: 'PENDING', get: (r) => r.devices.pending, optional: true },
  { header: 'PREAUTHORIZED', get: (r) => r.devices.preauthorized, optional: true },
  { header: 'REJECTED', get: (r) => r.devices.rejected, optional: true },
  // Per tier only where the device records carry one; an empty cell otherwise (ACCEPTED is the total).
  ...(['max_micro_devices', 'max_system_devices'] as const).map((k) => ({
    header: `ACCEPTED${KIND_SUFFIX[k]}`,
    get: (r: UsageRow) => r.by_tier?.[k].accepted ?? '',
    optional: true,
  })),
  ...kindColumns('LIMIT', (r) => r.limits),
  { header: 'CHILDREN', get: (r) => r.children ?? '', optional: true },
  ...kindColumns('ALLOCATED', (r) => r.allocated),
  ...kindColumns('FREE', (r) => r.free),
  { header: 'UNLIMITED', get: unlimitedIn, optional: true },
  { header: 'AS_OF', get: (r) => r.as_of, optional: true },
];

/** The totals row of `usage --tree`: the devices of a Service Provider and its children added up. */
export function totalsRow(rows: UsageRow[], asOf: string): UsageRow {
  const devices: DeviceCounts = { accepted: 0, pending: 0, rejected: 0, preauthorized: 0, noauth: 0 };
  for (const r of rows) for (const k of Object.keys(devices) as (keyof DeviceCounts)[]) devices[k] += r.devices[k];
  return { id: null, name: 'TOTAL', status: '', plan: '', service_provider: false, parent_tenant_id: null, devices, limits: null, as_of: asOf, total: true };
}
