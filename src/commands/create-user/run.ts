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
import { ChangeSet, tenantLock, userObject, type Store, type User } from '../../store';
import { requireTenant } from '../../operations/tenants';
import { userColumns } from '../../views/user';

export type CreateUserOptions = OptionsOf<typeof createUserOptions>;

export async function createUser(options: CreateUserOptions, deps: Deps): Promise<Result> {
  const tenantId = parseTenantId(options.tenant);
  const email = normalizeEmail(options.email);
  const roles = parseRoles(options.role);
  if (options.ifNotExists) {
    // A provisioning script run again: the same user already there is success, before any password is read or hashed.
    const existing = await sameUser(await deps.store(), tenantId, email, roles);
    if (existing) return { type: 'object', data: existing, columns: userColumns };
  }
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

/**
 * For --if-not-exists: the user with this email when it is the one asked for (same tenant, same
 * roles); null when there is none; a conflict (exit 4) naming what differs otherwise.
 */
async function sameUser(store: Store, tenantId: string, email: string, roles: string[]): Promise<User | null> {
  const found = await store.users.findByEmail(email);
  if (!found) return null;
  const { user } = found;
  if (user.tenant_id !== tenantId) {
    throw new ConflictError(`the email ${email} is already used by a user of tenant ${user.tenant_id}`, 'emails are unique across all tenants', { tenant_id: user.tenant_id });
  }
  const key = (rs: string[]) => [...rs].sort().join(',');
  if (key(user.roles) !== key(roles)) {
    throw new ConflictError(
      `user ${email} already exists in tenant ${tenantId} with role${user.roles.length === 1 ? '' : 's'} ${user.roles.join(', ') || 'none'}, not ${roles.join(', ')}`,
      'give the roles it has, or delete it first with `tenantadm delete-user`',
      { id: user.id, roles: user.roles },
    );
  }
  return user;
}
