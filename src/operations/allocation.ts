/**
 * Shared by the commands that change how an SP's capacity is allocated: loading what the
 * capacity rules need, and holding the `sp:<id>` locks across read, check and write.
 */
import { ConflictError, NotFoundError } from '../errors';
import type { AllocationTenant, AllocationWorld } from '../domain/allocation';
import { LIMIT_KINDS, type LimitKind } from '../domain/tenant';
import { spLock, tenantLock, type ChangeSet, type LimitRecord, type LockKey, type Store, type TenantRecord } from '../store';

export interface LoadedWorld {
  world: AllocationWorld;
  records: Map<string, TenantRecord>;
  /** The limit records as read (for compare-and-set writes), by `<tenantId>/<kind>`. */
  limits: Map<string, LimitRecord>;
}

export async function requireTenant(store: Store, id: string, what = 'tenant'): Promise<TenantRecord> {
  const record = await store.tenants.findOne({ id });
  if (!record) throw new NotFoundError(`no ${what} with id ${id}`, 'list them with `tenantadm list-tenants`');
  return record;
}

async function childIds(store: Store, spId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const child of store.tenants.find({ parent: spId })) ids.push(child.tenant.id);
  return ids;
}

/**
 * Read the tenants, their SPs, the SPs' children and every limit of `kinds` among them.
 * A tenant that is an SP (or has children) is loaded with its children too.
 */
export async function loadWorld(store: Store, tenantIds: string[], kinds: readonly LimitKind[] = LIMIT_KINDS): Promise<LoadedWorld> {
  const records = new Map<string, TenantRecord>();
  for (const id of tenantIds) records.set(id, await requireTenant(store, id));
  const parents = new Set<string>();
  for (const r of records.values()) if (r.tenant.parent_tenant_id) parents.add(r.tenant.parent_tenant_id);
  for (const p of parents) {
    if (records.has(p)) continue;
    const parent = await store.tenants.findOne({ id: p });
    if (parent) records.set(p, parent);
  }
  const children = new Map<string, string[]>();
  for (const id of [...records.keys()]) {
    const kids = await childIds(store, id);
    if (kids.length > 0 || records.get(id)!.tenant.service_provider) children.set(id, kids);
  }
  const all = new Set<string>(records.keys());
  for (const kids of children.values()) for (const k of kids) all.add(k);
  const ids = [...all];

  const limits = new Map<string, LimitRecord>();
  for (const kind of kinds) {
    for (const [id, rec] of await store.limits.getMany(ids, kind)) limits.set(`${id}/${kind}`, rec);
  }
  const accepted = await store.devices.acceptedCounts([...records.keys()]);
  const tenants = new Map<string, AllocationTenant>();
  for (const id of ids) {
    const r = records.get(id);
    tenants.set(id, {
      id,
      name: r?.tenant.name ?? '',
      parent: r?.tenant.parent_tenant_id,
      serviceProvider: r?.tenant.service_provider === true,
      accepted: accepted.get(id) ?? 0,
      limits: Object.fromEntries(kinds.map((k) => [k, limits.get(`${id}/${k}`)!.value])),
    });
  }
  return { world: { tenants, children }, records, limits };
}

const RETRY = Symbol('retry');

/**
 * Run `body` holding the tenant's own lock and `sp:<id>` for each tenant, `sp:<id>` of each tenant's current SP, plus
 * the lock keys in `extraKeys` (e.g. `sp:<new parent>`). The parents are read before
 * locking, so the body runs only once they are re-read under the locks and found
 * unchanged (a concurrent attach retries).
 */
export async function withAllocationLocks<T>(
  store: Store,
  tenantIds: string[],
  extraKeys: LockKey[],
  body: (records: Map<string, TenantRecord>) => Promise<{ changes: ChangeSet | null; result: T }>,
): Promise<T> {
  const keysFor = (records: Iterable<TenantRecord>): Set<LockKey> => {
    const keys = new Set<LockKey>(extraKeys);
    for (const r of records) {
      keys.add(tenantLock(r.tenant.id));
      keys.add(spLock(r.tenant.id));
      if (r.tenant.parent_tenant_id) keys.add(spLock(r.tenant.parent_tenant_id));
    }
    return keys;
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const seen: TenantRecord[] = [];
    for (const id of tenantIds) seen.push(await requireTenant(store, id));
    const keys = keysFor(seen);
    const outcome = await store.exclusive<T | typeof RETRY>([...keys], async () => {
      const fresh = new Map<string, TenantRecord>();
      for (const id of tenantIds) fresh.set(id, await requireTenant(store, id));
      if ([...keysFor(fresh.values())].some((k) => !keys.has(k))) return { changes: null, result: RETRY };
      return body(fresh);
    });
    if (outcome !== RETRY) return outcome as T;
  }
  throw new ConflictError('the tenants kept moving between Service Providers while this command ran', 'nothing was changed; run it again');
}
