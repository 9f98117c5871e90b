/** The tenant a command acts on, looked up by id: exit 3 with one message when it does not exist. */
import { NotFoundError } from '../errors';
import type { Store, TenantRecord } from '../store';

export async function requireTenant(store: Store, id: string, what = 'tenant'): Promise<TenantRecord> {
  const record = await store.tenants.findOne({ id });
  if (!record) throw new NotFoundError(`no ${what} with id ${id}`, 'list them with `tenantadm list-tenants`');
  return record;
}

/** A tenant as a question names it: `"Acme" (673a…)`, or its id alone when there is none by that id. */
export async function tenantLabel(store: Store, id: string): Promise<string> {
  const record = await store.tenants.findOne({ id });
  return record ? `"${record.tenant.name}" (${id})` : id;
}
