/**
 * Helpers for the tests of a tenant's removal (delete-tenant and the maintenance job that removes
 * suspended tenants): records seeded in Mender's layout and beyond it, and a search of the whole
 * server for anything of a tenant left behind.
 */
import { ObjectId } from 'mongodb';
import { client, runJson, type Dbs } from './harness';
import type { TestPlace } from './command-test';

/** A database of another (made-up) Mender service, per test. */
export const extraDb = (dbs: Dbs) => `${dbs.tenantadm.replace(/tenantadm$/, '')}inventory`;
/** A per-tenant database. */
export const perTenantDb = (id: string) => `deployment_service-${id}`;

/** Drop the made-up service's database after each test. */
export function dropExtraDbAfterEach(dbs: () => Dbs): void {
  afterEach(async () => {
    const c = await client();
    await c.db(extraDb(dbs())).dropDatabase().catch(() => undefined);
  });
}

/** Every document anywhere on the server (but the server's own databases) whose tenant_id is `id`, by place. */
export async function leftAnywhere(dbs: Dbs, id: string): Promise<Record<string, number>> {
  const c = await client();
  const out: Record<string, number> = {};
  const { databases } = await c.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name } of databases) {
    if (['admin', 'local', 'config'].includes(name)) continue;
    if (name.endsWith(`-${id}`)) out[name] = 1;
    for (const coll of await c.db(name).listCollections({}, { nameOnly: true }).toArray()) {
      const n = await c.db(name).collection(coll.name).countDocuments({ $or: [{ tenant_id: { $in: [id, new ObjectId(id)] } }, { 'mender.tenant': id }] });
      if (n > 0) out[`${name}.${coll.name}`] = n;
    }
  }
  const tenantDoc = await c.db(dbs.tenantadm).collection('tenants').countDocuments({ _id: new ObjectId(id) });
  if (tenantDoc > 0) out[`${dbs.tenantadm}.tenants`] = tenantDoc;
  return out;
}

/**
 * A suspended tenant with records in Mender's layout and beyond it: limits, a user, devices,
 * a device token (`mender.tenant`), audit entries, SSO settings, documents in a database the
 * tool knows nothing of (tenant_id as a string and as an ObjectId), and a per-tenant database.
 */
export async function seedRecords(dbs: Dbs, id: string, bucket?: string): Promise<void> {
  const c = await client();
  const oid = new ObjectId(id);
  await c.db(dbs.deviceauth).collection('devices').insertMany([
    { _id: new ObjectId().toHexString() as never, tenant_id: id, status: 'accepted' },
    { _id: new ObjectId().toHexString() as never, tenant_id: id, status: 'pending' },
  ]);
  await c.db(dbs.deviceauth).collection('tokens').insertOne({ _id: new ObjectId(), mender: { tenant: id, device: true } });
  await c.db(dbs.tenantadm).collection('sso_settings').insertOne({ _id: id as never, tenant_id: id, settings: { type: 'oidc' } });
  await c.db(extraDb(dbs)).collection('inventory').insertMany([{ tenant_id: id }, { tenant_id: oid }, { tenant_id: oid, attributes: [] }]);
  await c.db(extraDb(dbs)).collection('other').insertOne({ tenant_id: id });
  await c.db(perTenantDb(id)).collection('settings').insertOne({ _id: 'settings' as never, type: 0, bucket: bucket ?? '' });
}

/** A tenant created by the CLI, then suspended. */
export async function suspendedTenant(dbs: Dbs, name: string, extra: string[] = []): Promise<string> {
  const t = await runJson(dbs, ['create-tenant', '--name', name, ...extra]);
  await runJson(dbs, ['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes']);
  return t.id;
}

/** A suspended tenant written directly (with a limit, a user and seedRecords), for the runs killed midway. */
export async function seededTenant(dbs: Dbs, name: string): Promise<string> {
  const c = await client();
  const oid = new ObjectId();
  const id = oid.toHexString();
  await c.db(dbs.tenantadm).collection('tenants').insertOne({ _id: oid, name, status: 'suspended', updated_at: new Date() });
  await c.db(dbs.deviceauth).collection('limits').insertOne({ _id: new ObjectId(), name: 'max_devices', value: 5, tenant_id: id });
  await c.db(dbs.useradm).collection('users').insertOne({ _id: `${name}-user` as never, email: `${name}@kill.example`, tenant_id: id });
  await seedRecords(dbs, id);
  return id;
}

/** The arguments with --yes, the consent removals ask for. */
export const yes = (args: string[]) => [...args, '--yes'];

/**
 * The helpers above bound to the current test's databases; the made-up service's database is
 * dropped after each test (dropExtraDbAfterEach). Call once at a file's top level.
 */
export function removalHelpers(t: TestPlace) {
  dropExtraDbAfterEach(() => t.dbs);
  return {
    /** A database of another (made-up) Mender service, per test. */
    extraDb: () => extraDb(t.dbs),
    leftAnywhere: (id: string) => leftAnywhere(t.dbs, id),
    seedRecords: (id: string, bucket?: string) => seedRecords(t.dbs, id, bucket),
    suspendedTenant: (name: string, extra: string[] = []) => suspendedTenant(t.dbs, name, extra),
    seededTenant: (name: string) => seededTenant(t.dbs, name),
  };
}
