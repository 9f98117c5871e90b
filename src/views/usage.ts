/** Usage as printed for billing: device counts, each limit kind, and a Service Provider's allocation. */
import type { Column } from '../output';
import { LIMIT_KINDS, formatLimit, type LimitKind } from '../domain/tenant';
import type { DeviceCounts } from '../store/devices';

export type PerKind = Record<LimitKind, number>;

export interface UsageRow {
  /** The tenant's id. */
  id: string;
  name: string;
  status: string;
  service_provider: boolean;
  parent_tenant_id: string | null;
  devices: DeviceCounts;
  /** Each limit kind: -1 unlimited (also when no limit document exists). */
  limits: PerKind;
  /** Service Providers only: how many children, what they were given and what is left (-1: no cap). */
  children?: number;
  allocated?: PerKind;
  free?: PerKind;
}

const KIND_SUFFIX: Record<LimitKind, string> = { max_devices: '', max_micro_devices: '_MICRO', max_system_devices: '_SYSTEM' };
const kindColumns = (label: string, pick: (r: UsageRow) => PerKind | undefined): Column<UsageRow>[] =>
  LIMIT_KINDS.map((k) => ({
    header: `${label}${KIND_SUFFIX[k]}`,
    get: (r) => (pick(r) ? formatLimit(pick(r)![k]) : ''),
    // Micro and system device limits are rare: a narrow table shows max_devices only.
    ...(k === 'max_devices' ? {} : { optional: true }),
  }));

export const usageColumns: Column<UsageRow>[] = [
  { header: 'ID', get: (r) => r.id, keep: true },
  { header: 'NAME', get: (r) => r.name, keep: true },
  { header: 'SP', get: (r) => (r.service_provider ? 'yes' : '') },
  { header: 'PARENT', get: (r) => r.parent_tenant_id ?? '', keep: true, optional: true },
  { header: 'ACCEPTED', get: (r) => r.devices.accepted },
  { header: 'PENDING', get: (r) => r.devices.pending, optional: true },
  { header: 'REJECTED', get: (r) => r.devices.rejected, optional: true },
  ...kindColumns('LIMIT', (r) => r.limits),
  { header: 'CHILDREN', get: (r) => r.children ?? '', optional: true },
  ...kindColumns('ALLOCATED', (r) => r.allocated),
  ...kindColumns('FREE', (r) => r.free),
];
