/** delete-user: remove a user from a tenant, never its last admin. */
import type { OptionsOf } from '../../options';
import type { deleteUserOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { NotFoundError } from '../../errors';
import { ADMIN_ROLE, normalizeEmail, parseTenantId } from '../../domain/tenant';
import { assertNotLastAdmin, isAdmin } from '../../domain/user';
import { ChangeSet, tenantLock, userObject } from '../../store';
import { userColumns } from '../../views/user';
import { confirmYes, consentNeeded } from '../../confirm';
import { requireTenant, tenantLabel } from '../../operations/tenants';

export type DeleteUserOptions = OptionsOf<typeof deleteUserOptions>;

export async function deleteUser(options: DeleteUserOptions, deps: Deps): Promise<Result> {
  const tenantId = parseTenantId(options.tenant);
  const email = normalizeEmail(options.email);
  if (consentNeeded(options.yes, `deleting user ${email}`, deps)) {
    await confirmYes(`Delete user ${email} from tenant ${await tenantLabel(await deps.store(), tenantId)}? They lose access at once.`, deps);
  }
  const store = await deps.store();
  await store.settleInterrupted();
  const tenant = await requireTenant(store, tenantId);
  const t = tenant.tenant;
  const notFound = () => new NotFoundError(`no user ${email} in tenant ${t.id}`, `list the tenant's users with \`tenantadm list-users --tenant ${t.id}\``);
  if (!(await store.users.findInTenant(t.id, email))) throw notFound();

  // The admin count is checked and the user deleted under the tenant's lock, so two concurrent
  // deletes of the last two admins cannot both pass the check.
  const deleted = await store.exclusive([tenantLock(t.id)], async () => {
    const record = await store.users.findInTenant(t.id, email);
    if (!record) throw notFound();
    if (isAdmin(record.user.roles)) assertNotLastAdmin(t, email, record.user.roles, (await store.users.countWithRole(t.id, ADMIN_ROLE)) - 1);
    const changes = new ChangeSet('delete-user').add(store.users.deleteStep(record));
    changes.audit({
      action: 'delete',
      tenantId: t.id,
      parentId: t.parent_tenant_id,
      object: userObject(record.user.id, email, { id: t.id, name: t.name, parent: t.parent_tenant_id }),
      change: `user ${email} (roles ${record.user.roles.join(', ') || 'none'}) deleted from tenant "${t.name}"`,
    });
    return { changes, result: record.user };
  });
  return { type: 'object', data: deleted, columns: userColumns };
}
