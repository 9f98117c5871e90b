/**
 * Delivery of the tool's audit entries to Mender's own audit log, the way Mender's services
 * do it: they start the workflow `emit_auditlog` on Mender's workflows service with
 * `{"auditlog": {action, actor, object, change, meta, time}, "tenant_id", "request_id"}`
 * (deviceconfig's app.SubmitAuditLog; Enterprise's definition of the workflow forwards it to
 * the auditlogs service, which the UI reads). One request carries many entries through the
 * workflows API's batch endpoint (`POST /api/v1/workflow/emit_auditlog/batch`, in v4.1.3 and
 * main). Delivery is at least once: each entry carries the tool's entry id in
 * `meta.tenantadm_entry_id`, so a repeat is recognisable.
 */
import { createHash } from 'node:crypto';
import { ServiceError, UnreachableError, type TenantadmError } from '../errors';
import { ENV } from '../environment';

/** The workflow Mender's services start for an audit entry. */
export const AUDIT_WORKFLOW = 'emit_auditlog';

/** Entries per batch request: the workflows service publishes one job per entry, in order, before it answers. */
export const DELIVERY_BATCH = 500;

/** An audit entry as the tool stores it (store/audit.ts), the fields delivery reads. */
export interface StoredEntry {
  _id: unknown;
  tenant_id?: string;
  log_tenant_ids?: string[];
  actor?: { id?: string; type?: string; email?: string };
  action?: string;
  object?: { id: string; type: string; tenant?: { id: string; name: string; parent?: string }; user?: { email: string } };
  change?: string;
  meta?: Record<string, string[]>;
  time?: Date | string;
}

/** The input of one `emit_auditlog` job, in Mender's shape. */
export interface AuditJob {
  auditlog: {
    action: string;
    actor: { id: string; type: 'user'; email?: string };
    object: NonNullable<StoredEntry['object']>;
    change: string;
    meta: Record<string, string[]>;
    time: string;
  };
  tenant_id: string;
  request_id: string;
}

/** What one delivery did: the entries the service took (with its job id), the ones no tenant's log takes, and why the rest were not. */
export interface DeliveryOutcome {
  delivered: { id: unknown; job: string }[];
  /** Entries that belong to no tenant's log in Mender (a removed standalone tenant): kept in the tool's log only. */
  skipped: unknown[];
  /** Set when some entries were not delivered; they stay for `tenantadm audit forward`. */
  failure?: TenantadmError;
  undelivered: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Mender's actor is a user with an id and an email: the email is the operator's `--actor` /
 * TENANTADM_ACTOR when it is one, and the id a UUID derived from it, so the same operator
 * always has the same id (Mender's user ids are UUIDs; ours name no Mender user).
 */
export function menderActor(actor: StoredEntry['actor']): AuditJob['auditlog']['actor'] {
  const name = (actor?.email ?? actor?.id ?? 'tenantadm').trim();
  const h = createHash('sha256').update(`tenantadm-actor:${name.toLowerCase()}`).digest('hex');
  // RFC 4122 layout, version 5 and variant bits set, from the hash.
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { id, type: 'user', ...(EMAIL.test(name) ? { email: name.toLowerCase() } : {}) };
}

/**
 * The tenant whose log in Mender takes an entry, as Mender's UI records it: a Service
 * Provider's operations on a child tenant itself go to the SP's log; a change to a tenant's
 * users goes to that tenant's log; a standalone tenant's changes to its own. Undefined when no
 * tenant's log takes it (the removal of a tenant without an SP).
 */
export function logTenantOf(entry: StoredEntry): string | undefined {
  const parent = entry.object?.type === 'tenant' ? (entry.object.tenant?.parent ?? entry.log_tenant_ids?.[1]) : undefined;
  const target = parent ?? entry.tenant_id ?? '';
  return target === '' ? undefined : target;
}

export function entryId(id: unknown): string {
  return typeof id === 'string' ? id : String((id as { toHexString?: () => string }).toHexString?.() ?? id);
}

/** The job that delivers one entry; undefined when no tenant's log takes it. */
export function auditJob(entry: StoredEntry): AuditJob | undefined {
  const tenant = logTenantOf(entry);
  if (tenant === undefined || !entry.object) return undefined;
  const id = entryId(entry._id);
  const time = entry.time instanceof Date ? entry.time.toISOString() : String(entry.time ?? new Date(0).toISOString());
  return {
    auditlog: {
      action: entry.action ?? 'update',
      actor: menderActor(entry.actor),
      object: entry.object,
      change: entry.change ?? '',
      meta: { ...(entry.meta ?? {}), tenantadm_entry_id: [id] },
      time,
    },
    tenant_id: tenant,
    request_id: `tenantadm-${id}`,
  };
}

/** Mender's workflows service, for `emit_auditlog`. */
export class AuditDelivery {
  constructor(
    readonly address: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Deliver entries in order, DELIVERY_BATCH per request. Never throws for the service: the
   * first failure stops delivery and is returned with what was delivered before it, so the
   * caller records exactly those (the rest wait for `audit forward`).
   */
  async deliver(entries: readonly StoredEntry[]): Promise<DeliveryOutcome> {
    const out: DeliveryOutcome = { delivered: [], skipped: [], undelivered: 0 };
    const pending: { id: unknown; job: AuditJob }[] = [];
    for (const e of entries) {
      const job = auditJob(e);
      if (job) pending.push({ id: e._id, job });
      else out.skipped.push(e._id);
    }
    for (let i = 0; i < pending.length; i += DELIVERY_BATCH) {
      const batch = pending.slice(i, i + DELIVERY_BATCH);
      try {
        const jobs = await this.post(batch.map((b) => b.job));
        // A job the service could not publish has an `error` instead of an `id`: delivered up to there.
        const upTo = jobs.findIndex((j) => typeof j.id !== 'string');
        const taken = upTo < 0 ? batch.length : upTo;
        batch.slice(0, taken).forEach((b, k) => out.delivered.push({ id: b.id, job: jobs[k]!.id! }));
        if (taken < batch.length) {
          throw new ServiceError(`the workflows service did not queue an audit entry: ${jobs[taken]?.error ?? 'no job id'}`, undefined, { service: 'workflows' });
        }
      } catch (err) {
        out.failure = err as TenantadmError;
        out.undelivered = pending.length - out.delivered.length;
        return out;
      }
    }
    return out;
  }

  private async post(jobs: AuditJob[]): Promise<{ id?: string; error?: string }[]> {
    const url = `${this.address}/api/v1/workflow/${AUDIT_WORKFLOW}/batch`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(jobs),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new UnreachableError(`cannot reach the workflows service at ${this.address}: ${why}`, `check ${ENV.orchestratorAddr} / --orchestrator-addr`, { service: 'workflows' });
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: kept as text for the message.
    }
    if (res.status !== 201 || !Array.isArray(body)) {
      const why = body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : String(text).slice(0, 200);
      throw new ServiceError(`the workflows service refused ${jobs.length} audit entr${jobs.length === 1 ? 'y' : 'ies'} (workflow ${AUDIT_WORKFLOW}): ${res.status} ${why}`, undefined, {
        service: 'workflows',
        status: res.status,
      });
    }
    return body as { id?: string; error?: string }[];
  }
}
