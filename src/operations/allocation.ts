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

/** Tenants by id in one query; the first one missing is exit 3. */
async function requireTenants(store: Store, ids: string[], fields?: Parameters<Store['tenants']['findLinked']>[2]): Promise<Map<string, TenantRecord>> {
  const found = new Map((await store.tenants.findLinked(ids, [], fields)).map((r) => [r.tenant.id, r]));
  for (const id of ids) if (!found.has(id)) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
  return found;
}

/** Tenants as read for the capacity rules: those asked for, their SPs, and the SPs' children. */
export interface TenantsRead {
  records: Map<string, TenantRecord>;
  /** Children of each SP (and of each tenant asked for that has no parent). */
  children: Map<string, string[]>;
}

/**
 * Read `ids`, their SPs and the children of the SPs (and of the tenants without a parent) in
 * one query, whatever the number of tenants: `seen` (the same tenants read before) tells the
 * parents. A tenant that moved since, or any whose parent was not known, costs one more query.
 */
async function readAround(store: Store, ids: string[], seen: Map<string, TenantRecord>): Promise<TenantsRead> {
  const records = new Map<string, TenantRecord>();
  const children = new Map<string, string[]>();
  const loadedKids = new Set<string>();
  const round = async (byId: string[], childrenOf: string[]) => {
    for (const r of await store.tenants.findLinked(byId, childrenOf)) records.set(r.tenant.id, r);
    for (const id of childrenOf) loadedKids.add(id);
  };
  const heads = new Set<string>();
  for (const id of ids) {
    const t = seen.get(id)?.tenant;
    if (t?.parent_tenant_id) heads.add(t.parent_tenant_id);
    if (!t?.parent_tenant_id || t.service_provider) heads.add(id);
  }
  await round([...heads], [...heads]);
  // Tenants asked for that are not where they were seen (moved, or never seen), and SPs not yet read.
  const missing = ids.filter((id) => !records.has(id));
  if (missing.length > 0) await round(missing, missing);
  const parents = new Set<string>();
  for (const id of ids) {
    const p = records.get(id)?.tenant.parent_tenant_id;
    if (p && !loadedKids.has(p)) parents.add(p);
  }
  if (parents.size > 0) await round([...parents], [...parents]);
  for (const r of records.values()) {
    const p = r.tenant.parent_tenant_id;
    if (p && loadedKids.has(p)) {
      const kids = children.get(p) ?? [];
      kids.push(r.tenant.id);
      children.set(p, kids);
    }
  }
  for (const id of loadedKids) {
    const r = records.get(id);
    if (r && !children.has(id) && r.tenant.service_provider) children.set(id, []);
  }
  for (const kids of children.values()) kids.sort();
  return { records, children };
}

/**
 * Read the tenants, their SPs, the SPs' children and every limit of `kinds` among them, in a
 * constant number of queries however many tenants: the tenants with their SPs and children
 * (one or two), the limits (one), and accepted devices (one, only for `acceptedOf`'s tenants:
 * by default the tenants asked for and their SPs). `read` is what withAllocationLocks read
 * under the locks; without it the tenants are read here.
 */
export async function loadWorld(
  store: Store,
  tenantIds: string[],
  kinds: readonly LimitKind[] = LIMIT_KINDS,
  options: { read?: TenantsRead; acceptedOf?: (limits: Map<string, LimitRecord>) => string[] } = {},
): Promise<LoadedWorld> {
  // Without a read under locks: the tenants' SPs first (a short `_id` query), then SPs and children in one.
  const read = options.read ?? (await readAround(store, tenantIds, await requireTenants(store, tenantIds, ['_id', 'parent_tenant_id', 'service_provider'])));
  for (const id of tenantIds) if (!read.records.has(id)) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
  const records = new Map<string, TenantRecord>();
  for (const id of tenantIds) records.set(id, read.records.get(id)!);
  for (const id of tenantIds) {
    const p = records.get(id)!.tenant.parent_tenant_id;
    if (p && !records.has(p) && read.records.has(p)) records.set(p, read.records.get(p)!);
  }
  const children = new Map<string, string[]>();
  for (const id of records.keys()) {
    const kids = read.children.get(id);
    if (kids && (kids.length > 0 || records.get(id)!.tenant.service_provider)) children.set(id, kids);
    else if (records.get(id)!.tenant.service_provider) children.set(id, []);
  }
  const all = new Set<string>(records.keys());
  for (const kids of children.values()) for (const k of kids) all.add(k);
  const ids = [...all];

  const limits = await store.limits.getKinds(ids, kinds);
  const acceptedIds = options.acceptedOf ? options.acceptedOf(limits) : [...records.keys()];
  const accepted = acceptedIds.length > 0 ? await store.devices.acceptedCounts(acceptedIds) : new Map<string, number>();
  const tenants = new Map<string, AllocationTenant>();
  for (const id of ids) {
    const r = records.get(id) ?? read.records.get(id);
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
 * unchanged (a concurrent attach retries). Reads are one query before the locks and one
 * (or, for `world`, one or two with the SPs' children) under them, whatever the number of tenants.
 *
 * `ownLocks: false` is for changes of limits only: a child's limits are guarded by its SP's
 * lock (every change of a child's limit or parent holds it), so a plan over N children takes
 * one lock, not N + 1.
 */
export async function withAllocationLocks<T>(
  store: Store,
  tenantIds: string[],
  extraKeys: LockKey[],
  body: (records: Map<string, TenantRecord>, read: TenantsRead) => Promise<{ changes: ChangeSet | null; result: T }>,
  options: { ownLocks?: boolean; world?: boolean } = {},
): Promise<T> {
  const own = options.ownLocks !== false;
  const keysFor = (records: Iterable<TenantRecord>): Set<LockKey> => {
    const keys = new Set<LockKey>(extraKeys);
    for (const r of records) {
      const parent = r.tenant.parent_tenant_id;
      // A tenant's own lock keeps out a half-made tenant's creator; a child's creator holds its SP's lock too.
      if (own || !parent || r.tenant.service_provider) {
        keys.add(tenantLock(r.tenant.id));
        keys.add(spLock(r.tenant.id));
      }
      if (parent) keys.add(spLock(parent));
    }
    return keys;
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    // Before the locks, only what names them: each tenant's SP and whether it is one.
    const seen = await requireTenants(store, tenantIds, ['_id', 'parent_tenant_id', 'service_provider']);
    const keys = keysFor(seen.values());
    const outcome = await store.exclusive<T | typeof RETRY>([...keys], async () => {
      const read: TenantsRead = options.world ? await readAround(store, tenantIds, seen) : { records: await requireTenants(store, tenantIds), children: new Map() };
      const fresh = new Map<string, TenantRecord>();
      for (const id of tenantIds) {
        const r = read.records.get(id);
        if (!r) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
        fresh.set(id, r);
      }
      if ([...keysFor(fresh.values())].some((k) => !keys.has(k))) return { changes: null, result: RETRY };
      return body(fresh, read);
    });
    if (outcome !== RETRY) return outcome as T;
  }
  throw new ConflictError('the tenants kept moving between Service Providers while this command ran', 'nothing was changed; run it again');
}
