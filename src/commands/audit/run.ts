/** audit: the audit log, newest first, filtered by tenant, action, object, actor and time. */
import type { OptionsOf } from '../../options';
import type { auditOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { UsageError } from '../../errors';
import { parseTenantId } from '../../domain/tenant';
import { parseAuditTime } from '../../domain/audit';
import type { AuditQuery } from '../../store';
import { counted } from '../../progress';
import { auditColumns } from '../../views/audit';

export type AuditOptions = OptionsOf<typeof auditOptions>;

export async function audit(options: AuditOptions, deps: Deps): Promise<Result> {
  const now = deps.now();
  const query: AuditQuery = {
    action: options.action,
    objectType: options.objectType,
    field: options.field === undefined ? undefined : nonEmpty(options.field, '--field'),
    change: options.change === undefined ? undefined : nonEmpty(options.change, '--change'),
    objectId: options.objectId === undefined ? undefined : nonEmpty(options.objectId, '--object-id'),
    actor: options.by === undefined ? undefined : nonEmpty(options.by, '--by'),
    since: options.since === undefined ? undefined : parseAuditTime(options.since, now, '--since'),
    until: options.until === undefined ? undefined : parseAuditTime(options.until, now, '--until'),
    limit: options.last,
  };
  if (query.since && query.until && query.since.getTime() >= query.until.getTime()) {
    throw new UsageError('--since must be earlier than --until', 'the range includes --since and excludes --until');
  }
  const tenant = options.tenant === undefined ? undefined : parseTenantId(options.tenant, '--tenant');

  const store = await deps.store();
  if (tenant !== undefined) {
    // A deleted tenant's log stays readable, so the tenant need not exist.
    const ids = new Set([tenant]);
    if (options.includeChildren) for await (const child of store.tenants.find({ parent: tenant })) ids.add(child.tenant.id);
    query.tenantIds = [...ids];
  }
  const unsettled = await store.unsettledOperations();
  if (unsettled > 0) {
    deps.warn(
      `${unsettled} change${unsettled === 1 ? ' is' : 's are'} in progress or interrupted; ` +
        'their entries appear once settled (run `tenantadm repair` if no tenantadm is running)',
    );
  }
  return { type: 'list', rows: counted(store.audit.find(query), deps.progress('audit entries')), columns: auditColumns, noun: 'audit entries' };
}

function nonEmpty(raw: string, flag: string): string {
  const text = raw.trim();
  if (text === '') throw new UsageError(`${flag} is empty`, `give a value to ${flag}`);
  return text;
}
