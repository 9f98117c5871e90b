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
  /** What a person does next (a command to run, for the first sample); '' when nothing is left to do. */
  next_step: string;
}

export const findingColumns: Column<FindingRow>[] = [
  { header: 'STATUS', get: (r) => r.status },
  // The kind says what was found: never cut. Samples and details give way first on a narrow terminal.
  { header: 'KIND', get: (r) => r.kind, keep: true },
  { header: 'WHERE', get: (r) => r.where },
  { header: 'COUNT', get: (r) => r.count, keep: true },
  { header: 'SAMPLE IDS', get: (r) => r.sample_ids.join(' '), optional: true },
  { header: 'DETAIL', get: (r) => r.detail, optional: true },
  { header: 'NEXT STEP', get: (r) => r.next_step },
];

export function findingRow(f: Finding, status: string): FindingRow {
  const where = f.database ? `${f.database}${f.collection ? `.${f.collection}` : ''}` : '';
  const kind = f.limit_kind ? `${f.kind} (${f.limit_kind})` : f.kind;
  return { status, kind, where, count: f.count, sample_ids: f.sample_ids, detail: f.detail, next_step: status === 'needs a person' ? nextStep(f) : 'tenantadm check --repair' };
}

export function repairRow(a: RepairAction): FindingRow {
  return { status: a.action, kind: a.kind, where: '', count: a.count, sample_ids: a.sample_ids, detail: '', next_step: '' };
}

/**
 * The next step for a finding only a person can settle: a command for its first sample (the
 * others alike), or where the tool has none, what to run in mongosh. Each is tested by running it.
 */
export function nextStep(f: Finding): string {
  const id = f.sample_ids[0] ?? '<id>';
  const missing = f.missing_tenant_ids?.[0] ?? '<tenant id>';
  switch (f.kind) {
    case 'child_parent_missing':
    case 'child_parent_not_sp':
      return `detach the child: tenantadm update-tenant --tenant ${id} --no-parent`;
    case 'sp_over_max_child_tenants':
      return `see its children with tenantadm list-tenants --parent ${id}, then detach some or raise max_child_tenants: tenantadm update-tenant --tenant ${id} --max-child-tenants N`;
    case 'sp_over_allocated':
      return `see the allocation with tenantadm usage --tree ${id}, then lower a child with tenantadm set-device-limit --tenant CHILD --device-limit N`;
    case 'duplicate_emails':
      return `see who holds it with tenantadm get-user --email ${f.emails?.[0] ?? '<email>'}, then remove one with tenantadm delete-user`;
    case 'invalid_limits':
    case 'duplicate_limits':
      return 'set the limit again: tenantadm set-device-limit --tenant TENANT --device-limit N (the tenant ids are in the JSON report)';
    case 'orphan_databases':
      return `tenant gone: if nothing there is wanted, drop it in mongosh: db.getSiblingDB("${id}").dropDatabase()`;
    case 'orphan_users':
    case 'orphan_documents':
    case 'orphan_audit_entries':
      return `tenant ${missing} is gone: if nothing there is wanted, remove them in mongosh: db.getSiblingDB("${f.database ?? ''}").${f.collection ?? ''}.deleteMany({tenant_id: "${missing}"})`;
    default:
      return 'settle it with tenantadm repair';
  }
}
