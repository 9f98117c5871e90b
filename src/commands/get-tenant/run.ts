/** get-tenant: one tenant by id, name or the email of one of its users. */
import type { OptionsOf } from '../../options';
import type { getTenantOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError, NotFoundError } from '../../errors';
import { normalizeEmail, parseTenantId } from '../../domain/tenant';
import { viewOne, withDeviceFigures } from '../../operations/tenant-view';
import { tenantColumns } from '../../views/tenant';
import type { Store, TenantRecord } from '../../store';
import { storageView } from '../../views/storage';
import { PendingTenants } from '../../operations/pending';

export type GetTenantOptions = OptionsOf<typeof getTenantOptions>;

export async function getTenant(options: GetTenantOptions, deps: Deps): Promise<Result> {
  // Exactly one of --tenant, --name, --username: the command table's constraint.
  const id = options.tenant === undefined ? undefined : parseTenantId(options.tenant);
  const email = options.username === undefined ? undefined : normalizeEmail(options.username);
  const store = await deps.store();

  let record: TenantRecord | null;
  if (email !== undefined) {
    const user = await store.users.findByEmail(email);
    if (!user) throw new NotFoundError(`no user ${email}`, 'check the address; emails are stored in lower case');
    record = await store.tenants.findOne({ id: user.user.tenant_id });
    if (!record) throw new NotFoundError(`user ${email} belongs to tenant ${user.user.tenant_id}, which does not exist`);
  } else {
    record = id === undefined ? await oneByName(store, options.name!) : await store.tenants.findOne({ id });
    if (!record) {
      throw new NotFoundError(
        id !== undefined ? `no tenant with id ${id}` : `no tenant named "${options.name}"`,
        'list them with `tenantadm list-tenants`',
      );
    }
  }
  // An operation still writing this tenant (or a child) is said on stderr: one read of the journal.
  const pending = await PendingTenants.read(store, deps);
  pending.note(record.tenant);
  // Only get-tenant shows the artifact storage (secrets masked): listings stay one query per batch.
  const view = { ...(await viewOne(store, record)), storage: storageView(record.tenant.id, await store.storage.get(record.tenant.id)) };
  if (!options.includeChildren) return { type: 'object', data: view, columns: tenantColumns };

  const children: TenantRecord[] = [];
  for await (const child of store.tenants.find({ parent: view.id })) {
    pending.note(child.tenant);
    children.push(child);
  }
  return {
    type: 'object',
    data: { ...view, children: await withDeviceFigures(store, children) },
    columns: tenantColumns,
  };
}

/**
 * The one tenant with this name, or null. Names are not unique in Mender's store: when several
 * match, picking one would let a script act on the wrong tenant, so it is a conflict (exit 4)
 * naming each, to be asked again by id.
 */
export async function oneByName(store: Store, name: string): Promise<TenantRecord | null> {
  const found: TenantRecord[] = [];
  for await (const record of store.tenants.find({ name })) found.push(record);
  if (found.length <= 1) return found[0] ?? null;
  const each = found.map(({ tenant: t }) => ({ id: t.id, status: t.status, created_at: t.created_at ?? null, parent: t.parent_tenant_id ?? null }));
  const lines = each.map((t) => `  ${t.id}  status ${t.status}  created ${t.created_at ?? '-'}  parent ${t.parent ?? '-'}`);
  throw new ConflictError(
    `${found.length} tenants are named "${name}":\n${lines.join('\n')}\n`,
    `name one by id: --tenant ${found[0]!.tenant.id}`,
    { tenants: each },
  );
}
