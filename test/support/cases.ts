/** Tenants, Service Providers and audit lookups that the end-to-end files build and read alike. */
import { client, runJson, type Dbs } from './harness';

export { expectFailsCleanly } from './harness';

export async function createTenant(dbs: Dbs, name: string, extra: string[] = []): Promise<any> {
  return runJson(dbs, ['create-tenant', '--name', name, ...extra]);
}

/**
 * A Service Provider and its children, attached with the raw driver (so these tests do not depend on create-tenant --parent).
 * The SP has a device limit and every add-on (so its children may switch on whichever its policy allows).
 */
export async function spWithChildren(dbs: Dbs, names: string[]): Promise<{ sp: any; children: any[] }> {
  const sp = await createTenant(dbs, `sp-${names.join('-')}`, ['--device-limit', '100', '--addon', 'troubleshoot,configure,monitor']);
  await runJson(dbs, ['update-tenant', '--tenant', sp.id, '--service-provider']);
  const children: any[] = [];
  for (const name of names) {
    const child = await createTenant(dbs, name);
    await (await client()).db(dbs.tenantadm).collection('tenants').updateOne({ name }, { $set: { parent_tenant_id: sp.id } });
    children.push({ ...child, parent_tenant_id: sp.id });
  }
  return { sp, children };
}

/** Every audit entry, as one string to search for secrets. */
export async function auditText(dbs: Dbs): Promise<string> {
  const docs = await (await client()).db(dbs.audit).collection('tenantadm_audit').find({}).toArray();
  return JSON.stringify(docs);
}

export async function auditEntries(dbs: Dbs, filter: Record<string, unknown> = {}): Promise<any[]> {
  return (await client()).db(dbs.audit).collection('tenantadm_audit').find(filter).sort({ time: 1, _id: 1 }).toArray();
}

/** `n` tenants written with the raw driver, each with a long name (about 400 bytes a row). */
export async function seedBulkTenants(dbs: Dbs, n: number): Promise<void> {
  await (await client())
    .db(dbs.tenantadm)
    .collection('tenants')
    .insertMany(Array.from({ length: n }, (_, i) => ({ name: `bulk-${i}-${'x'.repeat(200)}`, status: 'active', plan: 'os', addons: [] })));
}
