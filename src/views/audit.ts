/** Audit entries as printed: one line per entry, the object named by its tenant's name or user's email. */
import type { Column } from '../output';
import type { AuditEntry } from '../store';

function objectName(e: AuditEntry): string {
  return e.object.tenant?.name ?? e.object.user?.email ?? '';
}

export const auditColumns: Column<AuditEntry>[] = [
  { header: 'TIME', get: (e) => e.time, keep: true },
  { header: 'TENANT', get: (e) => e.tenant_id, keep: true, optional: true },
  { header: 'ACTOR', get: (e) => e.actor.email ?? e.actor.id, keep: true },
  { header: 'ACTION', get: (e) => e.action },
  { header: 'OBJECT TYPE', get: (e) => e.object.type, optional: true },
  { header: 'OBJECT ID', get: (e) => e.object.id, optional: true },
  { header: 'OBJECT', get: objectName, keep: true },
  { header: 'CHANGE', get: (e) => e.change },
];
