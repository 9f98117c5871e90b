/** Tenants as printed: the stored tenant plus its device limit and accepted devices (read by operations/tenant-view.ts). */
import type { Column } from '../output';
import { formatLimit, type TenantView } from '../domain/tenant';

export const tenantColumns: Column<TenantView>[] = [
  { header: 'ID', get: (t) => t.id, keep: true },
  { header: 'NAME', get: (t) => t.name, keep: true },
  { header: 'STATUS', get: (t) => t.status },
  { header: 'PLAN', get: (t) => t.plan },
  { header: 'SP', get: (t) => (t.service_provider ? 'yes' : '') },
  { header: 'PARENT', get: (t) => t.parent_tenant_id ?? '', keep: true, optional: true },
  // Two columns, not "0/100": a spreadsheet reads that as a date.
  { header: 'DEVICES', get: (t) => t.device_count },
  { header: 'LIMIT', get: (t) => formatLimit(t.device_limit) },
  { header: 'ADD-ONS', get: (t) => t.addons.filter((a) => a.enabled).map((a) => a.name).join(','), optional: true },
  { header: 'CREATED', get: (t) => t.created_at ?? '', optional: true },
];
