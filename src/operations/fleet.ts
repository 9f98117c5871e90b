/**
 * The state a fleet file describes, read with a constant number of queries whatever the number
 * of tenants: the tenants, every limit, every user, every SSO document, once each; storage
 * settings live in one database per tenant (see StorageStore.many).
 */
import type { FleetCreated, LimitRecord, Store, TenantRecord, User } from '../store';
import { LIMIT_KINDS, type Tenant } from '../domain/tenant';
import type { FleetState } from '../domain/fleet';
import { NotFoundError, UsageError } from '../errors';

/** What to read: one tenant (and its children, if an SP), one SP's children (and the SP), or everything. */
export interface FleetScope {
  tenant?: string;
  parent?: string;
}

export async function readFleetState(store: Store, scope: FleetScope = {}): Promise<FleetState> {
  return store.guard(async () => {
    const root = scope.tenant ?? scope.parent;
    let tenants: Tenant[];
    const parentNames = new Map<string, string>();
    if (root !== undefined) {
      const records = await store.tenants.findLinked([root], [root]);
      const self = records.find((r) => r.tenant.id === root);
      if (!self) throw new NotFoundError(`tenant ${root} not found`, 'list them with `tenantadm list-tenants`');
      if (scope.parent !== undefined && !self.tenant.service_provider) {
        throw new UsageError(`tenant ${root} is not a Service Provider`, `for one tenant use --tenant ${root}`);
      }
      tenants = records.map((r) => r.tenant);
      const parentId = self.tenant.parent_tenant_id;
      if (parentId) {
        const parent = await store.tenants.findOne({ id: parentId });
        if (parent) parentNames.set(parentId, parent.tenant.name);
      }
    } else {
      tenants = [];
      for await (const r of store.tenants.find({}, 1000)) tenants.push(r.tenant);
    }
    const ids = root === undefined ? undefined : tenants.map((t) => t.id);
    const [limits, users, sso, storage] = await Promise.all([
      ids === undefined ? store.limits.allKinds(LIMIT_KINDS) : limitsOf(store, ids),
      store.users.ofTenants(ids),
      store.sso.many(ids),
      store.storage.many(tenants.map((t) => t.id)),
    ]);
    return { tenants, limits, users, sso, storage, parentNames };
  });
}

async function limitsOf(store: Store, ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [key, rec] of await store.limits.getKinds(ids, LIMIT_KINDS)) if (rec.raw) out.set(key, rec.value);
  return out;
}

/** What `apply` reads (everything, each collection once): the state, the tenants as stored, and what apply created before. */
export interface FleetWorld {
  state: FleetState;
  records: Map<string, TenantRecord>;
  /** Every limit document as read, by `<tenantId>/<kind>` (absent: unlimited, no document). */
  limitRecords: Map<string, LimitRecord>;
  /** Every user by tenant id, with its id (hashes stay in the store). */
  users: Map<string, User[]>;
  created: FleetCreated[];
}

export async function readFleetWorld(store: Store): Promise<FleetWorld> {
  return store.guard(async () => {
    const records = new Map<string, TenantRecord>();
    for await (const r of store.tenants.find({}, 1000)) records.set(r.tenant.id, r);
    const tenants = [...records.values()].map((r) => r.tenant);
    const [limitRecords, users, sso, storage, created] = await Promise.all([
      store.limits.allRecords(LIMIT_KINDS),
      store.users.ofTenants(undefined),
      store.sso.many(undefined),
      store.storage.many(tenants.map((t) => t.id)),
      store.fleetCreated.all(),
    ]);
    const limits = new Map([...limitRecords].map(([key, rec]) => [key, rec.value]));
    return { state: { tenants, limits, users, sso, storage }, records, limitRecords, users, created };
  });
}
