/**
 * Removing tenants, shared by `delete-tenant` and `maintenance delete-suspended-tenants`:
 * under the locks of every tenant involved, re-read and re-check them, plan what goes
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
 * The locks held across check and removal, taken in one ordered insert: of every removed
 * tenant its own and its allocation's (so no command adds records to it, or changes its limits
 * or status, while it goes), with `settings` its SSO and storage ones too, and of the Service
 * Provider of each removed child (whose capacity changes).
 */
function lockKeys(records: Iterable<TenantRecord>, settings: boolean): LockKey[] {
  const keys = new Set<LockKey>();
  for (const r of records) {
    keys.add(tenantLock(r.tenant.id));
    keys.add(spLock(r.tenant.id));
    if (settings) for (const key of [ssoLock(r.tenant.id), storageLock(r.tenant.id)]) keys.add(key);
    if (r.tenant.parent_tenant_id) keys.add(spLock(r.tenant.parent_tenant_id));
  }
  return [...keys];
}

/** A tenant a batch leaves where it is, and why. */
export interface Skipped {
  id: string;
  name: string;
  reason: string;
}

/** The plan alone, for --dry-run: nothing is locked or written. */
export async function removalPlan(store: Store, groups: string[][], databases?: string[], progress?: StartProgress): Promise<RemovalPlan> {
  return store.guard(() => store.removal.plan(groups.flat(), { databases }, progress));
}

/**
 * Remove the tenants in `groups` (children first), which the caller has checked against
 * the rules. Under the locks every tenant is re-read and must still be as it was read (there,
 * with the same Service Provider, and a Service Provider with no child that stays), and
 * `recheck` repeats the caller's checks. A change found there refuses the whole removal
 * (exit 4), or with `skipIf` (a batch) leaves that tenant out, named in `skipped`, as does
 * `skipIf` returning a reason for a tenant that no longer qualifies.
 */
export async function removeTenants(
  store: Store,
  deps: Pick<Deps, 'config' | 'warn' | 'now' | 'progress'>,
  command: string,
  records: Map<string, TenantRecord>,
  groups: string[][],
  options: {
    databases?: string[];
    /** Lock each tenant's SSO and storage settings too (one tenant asked for by name). */
    settingsLocks?: boolean;
    recheck?: (fresh: Map<string, TenantRecord>) => void;
    skipIf?: (fresh: TenantRecord) => string | null;
  },
): Promise<{ result: RemovalResult; skipped: Skipped[] }> {
  const asked = groups.flat();
  // Parsed before the write: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  // A server that refuses to list databases or collections stops here, before any lock or write.
  await store.guard(() => store.removal.probe({ databases: options.databases }));

  interface Decided {
    plan: RemovalPlan | null;
    fresh: Map<string, TenantRecord>;
    held: Map<string, Record<string, number>>;
    skipped: Skipped[];
  }
  const decided = await store.exclusive<Decided>(lockKeys(records.values(), options.settingsLocks === true), async () => {
    const found = new Map((await store.tenants.findMany(asked)).map((r) => [r.tenant.id, r]));
    const skipped: Skipped[] = [];
    const going = new Set(asked);
    const changed = (id: string, reason: string): void => {
      if (!options.skipIf) throw new ConflictError(`${reason} while this command ran`, 'nothing was changed; run the command again');
      skipped.push({ id, name: (found.get(id) ?? records.get(id)!).tenant.name, reason: `${reason} while this command ran` });
      going.delete(id);
    };
    for (const id of asked) {
      const now = found.get(id)?.tenant;
      const before = records.get(id)!.tenant;
      if (!now) changed(id, `tenant ${id} was removed by another command`);
      // Its Service Provider's lock is the one taken: a child moved elsewhere is not this removal's.
      else if ((now.parent_tenant_id ?? null) !== (before.parent_tenant_id ?? null)) {
        changed(id, `tenant ${id} moved from ${before.parent_tenant_id ? `Service Provider ${before.parent_tenant_id}` : 'no Service Provider'} to ${now.parent_tenant_id ? `Service Provider ${now.parent_tenant_id}` : 'none'}`);
      } else {
        const reason = options.skipIf?.(found.get(id)!);
        if (reason) {
          skipped.push({ id, name: now.name, reason });
          going.delete(id);
        }
      }
    }
    // A Service Provider goes only with all its children: one created or attached meanwhile, or
    // one that stays, would be left behind without it.
    const kids = await store.tenants.childrenOf(asked.filter((id) => going.has(id) && found.get(id)!.tenant.service_provider));
    for (const kid of kids) {
      const sp = kid.tenant.parent_tenant_id!;
      if (going.has(sp) && !going.has(kid.tenant.id)) {
        // A batch may have left the child out (an earlier batch, or this one, skipped it).
        changed(sp, options.skipIf || asked.includes(kid.tenant.id) ? `Service Provider ${sp} has child tenant ${kid.tenant.id}, which stays,` : `Service Provider ${sp} got child tenant ${kid.tenant.id}`);
      }
    }
    const ids = asked.filter((id) => going.has(id));
    const fresh = new Map(ids.map((id) => [id, found.get(id)!]));
    options.recheck?.(fresh);
    if (ids.length === 0) return { changes: null, result: { plan: null, fresh, held: new Map<string, Record<string, number>>(), skipped } };

    // The values each child held, read under the locks: they return to its SP, which stays.
    const childIds = ids.filter((id) => {
      const p = fresh.get(id)!.tenant.parent_tenant_id;
      return p !== undefined && !going.has(p);
    });
    const held = new Map<string, Record<string, number>>();
    for (const kind of LIMIT_KINDS) {
      for (const [id, rec] of await store.limits.getMany(childIds, kind)) {
        if (kind === 'max_devices' || rec.value !== UNLIMITED) held.set(id, { ...(held.get(id) ?? {}), [kind]: rec.value });
      }
    }
    const plan = await store.removal.plan(ids, { databases: options.databases }, deps.progress);
    const kept = groups.map((g) => g.filter((id) => going.has(id)));
    // deviceauth's cache of them goes after the records, as the last roll-forward steps.
    const cache = [
      ...store.cacheSteps(await refresh.limits(plan.limits, async () => (await store.profile()).name, "the removed tenants'")),
      ...store.cacheSteps(refresh.tenants(plan.tenantIds)),
    ];
    const changes = new ChangeSet(command).afterCommit(...store.removal.steps(plan, kept), ...cache);
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
        tenantId: parent && !going.has(parent) ? parent : '',
        object: tenantObject(id, t.name, parent),
        change: `tenant "${t.name}" removed with all its records (${ids.length > 1 ? `with ${ids.length - 1} other tenant(s): ` : ''}${documents} documents, ${plan.databases.length} per-tenant database(s))${capacity}`,
      });
    }
    return { changes, result: { plan, fresh, held, skipped } };
  });

  const { plan, fresh, held, skipped } = decided;
  if (!plan) return { result: mergeResults([]), skipped };
  const ids = plan.tenantIds;
  const removedSet = new Set(ids);
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
  const result: RemovalResult = {
    removed: {
      tenants: ids.map((id) => {
        const t = fresh.get(id)!.tenant;
        return { id, name: t.name, ...(t.parent_tenant_id ? { parent_tenant_id: t.parent_tenant_id } : {}) };
      }),
      documents,
      databases: plan.databases,
    },
    remaining: 0,
    services,
    capacity_returned: ids.filter((id) => held.has(id)).map((id) => ({ service_provider: fresh.get(id)!.tenant.parent_tenant_id!, id, limits: held.get(id)! })),
    left_for_operator: ids.map((id) => ({ id, shared_store_prefix: `${id}/`, ...(plan.buckets[id] ? { bucket: plan.buckets[id] } : {}) })),
  };
  return { result, skipped };
}
