/**
 * Removing tenants, shared by `delete-tenant` and `maintenance delete-suspended-tenants`:
 * under the `sp:` locks of every tenant involved, re-read and re-check them, plan what goes
 * (discovered on the server, one query per collection for all of them), and run it as one
 * journaled, forward-only operation: the commit point comes first, then every removal step
 * as roll-forward work, so a killed removal is finished by the next command or `repair`.
 * It ends by proving that nothing names the tenants any more.
 */
import type { StartProgress } from '../progress';
import { ConflictError, InternalError } from '../errors';
import { LIMIT_KINDS, formatLimit, UNLIMITED } from '../domain/tenant';
import { ChangeSet, tenantObject, spLock, ssoLock, storageLock, tenantLock, type LockKey, type RemovalPlan, type Store, type TenantRecord } from '../store';
import { LimitRefresh } from '../mender/limit-cache';
import type { Deps } from '../deps';

export interface RemovalResult {
  removed: {
    tenants: { id: string; name: string; parent_tenant_id?: string }[];
    /** Documents deleted, by `database.collection`. */
    documents: Record<string, number>;
    /** Per-tenant databases dropped. */
    databases: string[];
  };
  /** Documents that still name a removed tenant after the removal: 0, or the command fails. */
  remaining: number;
  /** What each service said to its own tenant-removal endpoint (only with the service addresses set). */
  services: { service: string; id: string; outcome: string }[];
  /** Capacity that went back to a Service Provider that stays. */
  capacity_returned: { service_provider: string; id: string; limits: Record<string, number> }[];
  /** What the tool holds no credentials for: artifacts in object storage. */
  left_for_operator: { id: string; shared_store_prefix: string; bucket?: string }[];
}

/**
 * How many tenants one journaled operation removes or suspends at most: the operation's
 * journal document holds every tenant id (twice: string and ObjectId) per collection and one
 * audit entry per tenant, and must stay far below MongoDB's 16 MB document limit.
 */
export const BATCH_SIZE = 2000;

/** Split removal groups (children first) into operations of at most `size` tenants, keeping the order. */
export function batches(groups: string[][], size = BATCH_SIZE): string[][][] {
  const out: string[][][] = [];
  for (const group of groups) for (let i = 0; i < group.length; i += size) out.push([group.slice(i, i + size)]);
  return out;
}

/** The results of several operations as one. */
export function mergeResults(results: RemovalResult[]): RemovalResult {
  const documents: Record<string, number> = {};
  for (const r of results) for (const [k, n] of Object.entries(r.removed.documents)) documents[k] = (documents[k] ?? 0) + n;
  return {
    removed: { tenants: results.flatMap((r) => r.removed.tenants), documents, databases: results.flatMap((r) => r.removed.databases) },
    remaining: 0,
    services: results.flatMap((r) => r.services),
    capacity_returned: results.flatMap((r) => r.capacity_returned),
    left_for_operator: results.flatMap((r) => r.left_for_operator),
  };
}

/**
 * The `sp:` locks held across check and removal: of every Service Provider involved (removed,
 * or the parent of a removed child, whose capacity changes), and with `each` of every removed
 * tenant too, with its users' and SSO locks (one tenant asked for by name; a batch takes only
 * the SPs', not locks per tenant).
 */
function lockKeys(records: Iterable<TenantRecord>, each: boolean): LockKey[] {
  const keys = new Set<LockKey>();
  for (const r of records) {
    if (each) for (const key of [tenantLock(r.tenant.id), ssoLock(r.tenant.id), storageLock(r.tenant.id)]) keys.add(key);
    if (each || r.tenant.service_provider) keys.add(spLock(r.tenant.id));
    if (r.tenant.parent_tenant_id) keys.add(spLock(r.tenant.parent_tenant_id));
  }
  return [...keys];
}

/** The plan alone, for --dry-run: nothing is locked or written. */
export async function removalPlan(store: Store, groups: string[][], databases?: string[], progress?: StartProgress): Promise<RemovalPlan> {
  return store.guard(() => store.removal.plan(groups.flat(), { databases }, progress));
}

/**
 * Remove the tenants in `groups` (children first), which the caller has checked against
 * the rules; `recheck` repeats those checks on the records re-read under the locks.
 */
export async function removeTenants(
  store: Store,
  deps: Pick<Deps, 'config' | 'warn' | 'now' | 'progress'>,
  command: string,
  records: Map<string, TenantRecord>,
  groups: string[][],
  options: { databases?: string[]; lockEach?: boolean; recheck: (fresh: Map<string, TenantRecord>) => void },
): Promise<RemovalResult> {
  const ids = groups.flat();
  const removedSet = new Set(ids);
  // Parsed before the write: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  // A server that refuses to list databases or collections stops here, before any lock or write.
  await store.guard(() => store.removal.probe({ databases: options.databases }));
  // The values each child held, read before they go: they return to the SP.
  const childIds = ids.filter((id) => {
    const p = records.get(id)!.tenant.parent_tenant_id;
    return p !== undefined && !removedSet.has(p);
  });
  const held = new Map<string, Record<string, number>>();
  for (const kind of LIMIT_KINDS) {
    for (const [id, rec] of await store.guard(() => store.limits.getMany(childIds, kind))) {
      if (kind === 'max_devices' || rec.value !== UNLIMITED) held.set(id, { ...(held.get(id) ?? {}), [kind]: rec.value });
    }
  }

  const plan = await store.exclusive(lockKeys(records.values(), options.lockEach !== false), async () => {
    const fresh = new Map((await store.tenants.findMany(ids)).map((r) => [r.tenant.id, r]));
    if (fresh.size !== ids.length) throw new ConflictError('a tenant being removed was removed by another command meanwhile', 'nothing was changed; run the command again');
    // A child created (or attached) meanwhile under a Service Provider being removed would be left behind.
    const sps = ids.filter((id) => fresh.get(id)!.tenant.service_provider);
    const kids = await store.tenants.childrenOf(sps);
    const strays = kids.filter((k) => !removedSet.has(k.tenant.id));
    if (strays.length > 0) {
      throw new ConflictError(
        `Service Provider ${strays[0]!.tenant.parent_tenant_id} got child tenant ${strays[0]!.tenant.id} while this command ran`,
        'nothing was changed; run the command again',
      );
    }
    options.recheck(fresh);
    const plan = await store.removal.plan(ids, { databases: options.databases }, deps.progress);
    const changes = new ChangeSet(command).afterCommit(...store.removal.steps(plan, groups));
    changes.forwardOnly = true;
    const documents = plan.rows.filter((r) => r.action === 'delete').reduce((n, r) => n + r.documents, 0);
    for (const id of ids) {
      const t = fresh.get(id)!.tenant;
      const parent = t.parent_tenant_id;
      const returned = held.get(id);
      const capacity = parent && returned ? `; its allocation (${Object.entries(returned).map(([k, v]) => `${k} ${formatLimit(v)}`).join(', ')}) returns to Service Provider ${parent}` : '';
      changes.audit({
        action: 'delete',
        // Kept in the log of its Service Provider when that stays; otherwise in the operator's log only.
        tenantId: parent && !removedSet.has(parent) ? parent : '',
        object: tenantObject(id, t.name, parent),
        change: `tenant "${t.name}" removed with all its records (${ids.length > 1 ? `with ${ids.length - 1} other tenant(s): ` : ''}${documents} documents, ${plan.databases.length} per-tenant database(s))${capacity}`,
      });
    }
    return { changes, result: plan };
  });

  // Without deviceauth's API, its cache still holds the removed tenants' limits and token state.
  await refresh.limits(plan.limits, async () => (await store.profile()).name, "the removed tenants'");
  await refresh.tenants(plan.tenantIds);

  const remaining = await store.guard(() => store.removal.remaining(ids, { databases: options.databases }, deps.progress));
  if (remaining.length > 0) {
    const where = remaining.map((r) => `${r.database}.${r.collection} (${r.documents})`).join(', ');
    throw new InternalError(
      `the removal finished, but documents of the removed tenant(s) are left: ${where}`,
      'they were written while the removal ran; remove them by hand or with `tenantadm check --repair`',
      { remaining },
    );
  }

  const documents: Record<string, number> = {};
  for (const r of plan.rows) if (r.action === 'delete') documents[`${r.database}.${r.collection}`] = r.documents;
  const services: RemovalResult['services'] = [];
  for (const [key, outcome] of store.services.removals) {
    const [service, tenantId] = key.split('/') as [string, string];
    if (removedSet.has(tenantId)) services.push({ service, id: tenantId, outcome });
  }
  return {
    removed: {
      tenants: ids.map((id) => {
        const t = records.get(id)!.tenant;
        return { id, name: t.name, ...(t.parent_tenant_id ? { parent_tenant_id: t.parent_tenant_id } : {}) };
      }),
      documents,
      databases: plan.databases,
    },
    remaining: 0,
    services,
    capacity_returned: childIds.filter((id) => held.has(id)).map((id) => ({ service_provider: records.get(id)!.tenant.parent_tenant_id!, id, limits: held.get(id)! })),
    left_for_operator: ids.map((id) => ({ id, shared_store_prefix: `${id}/`, ...(plan.buckets[id] ? { bucket: plan.buckets[id] } : {}) })),
  };
}
