/** create-user: add a user to a tenant, with a bcrypt hash of a password read from a file, stdin or a prompt. */
import type { OptionsOf } from '../../options';
import type { createUserOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError } from '../../errors';
import { normalizeEmail, parseTenantId, validatePassword } from '../../domain/tenant';
import { parseRoles } from '../../domain/user';
import { readPassword } from '../../secrets';
import { warnDirectUser } from '../../notices';
import { ChangeSet, tenantLock, userObject } from '../../store';
import { requireTenant } from '../../operations/tenants';
import { userColumns } from '../../views/user';

export type CreateUserOptions = OptionsOf<typeof createUserOptions>;

export async function createUser(options: CreateUserOptions, deps: Deps): Promise<Result> {
  const tenantId = parseTenantId(options.tenant);
  const email = normalizeEmail(options.email);
  const roles = parseRoles(options.role);
  const password = validatePassword(await readPassword({ passwordFile: options.passwordFile, passwordStdin: options.passwordStdin }, deps));
  const passwordHash = await deps.hashPassword(password);

  const store = await deps.store();
  // A tenant whose create was killed is settled (gone) before it is looked up; one still being
  // created holds its lock, so the user is added once the tenant is whole, or not at all.
  await store.settleInterrupted();
  const { created, t } = await store.exclusive([tenantLock(tenantId)], async () => {
    const tenant = await requireTenant(store, tenantId);
    const taken = await store.users.findByEmail(email);
    if (taken) {
      throw new ConflictError(`the email ${email} is already used by a user of tenant ${taken.user.tenant_id}`, 'emails are unique across all tenants', {
        tenant_id: taken.user.tenant_id,
      });
    }
    const t = tenant.tenant;
    const created = store.userCreateSteps({ email, passwordHash, tenantId: t.id, roles, now: deps.now() });
    const changes = new ChangeSet('create-user').add(...created.steps);
    changes.audit({
      action: 'create',
      tenantId: t.id,
      parentId: t.parent_tenant_id,
      object: userObject(created.user.id, email, { id: t.id, name: t.name, parent: t.parent_tenant_id }),
      change: `user ${email} created in tenant "${t.name}" with role${roles.length === 1 ? '' : 's'} ${roles.join(', ')}`,
    });
    // A concurrent create of the same email loses on the unique index: exit 4, nothing left behind.
    return { changes, result: { created, t } };
  });
  if (created.direct) warnDirectUser(deps);
  // Through useradm, the service chose the id: show the user as it stored it.
  const stored = created.direct ? created.user : ((await store.users.findInTenant(t.id, email))?.user ?? created.user);
  return { type: 'object', data: stored, columns: userColumns };
}
