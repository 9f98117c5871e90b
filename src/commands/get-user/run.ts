/** get-user: one user by email. */
import type { OptionsOf } from '../../options';
import type { getUserOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { NotFoundError } from '../../errors';
import { normalizeEmail, parseTenantId } from '../../domain/tenant';
import { userColumns } from '../../views/user';
import { PendingTenants } from '../../operations/pending';

export type GetUserOptions = OptionsOf<typeof getUserOptions>;

export async function getUser(options: GetUserOptions, deps: Deps): Promise<Result> {
  const email = normalizeEmail(options.email);
  const tenantId = options.tenant === undefined ? undefined : parseTenantId(options.tenant);
  const store = await deps.store();
  const record = tenantId === undefined ? await store.users.findByEmail(email) : await store.users.findInTenant(tenantId, email);
  if (!record) {
    throw new NotFoundError(
      tenantId === undefined ? `no user ${email}` : `no user ${email} in tenant ${tenantId}`,
      'check the address; emails are stored in lower case',
    );
  }
  // A user of a tenant an operation is still writing (its create, say) is said on stderr.
  (await PendingTenants.read(store, deps)).note({ id: record.user.tenant_id });
  return { type: 'object', data: record.user, columns: userColumns };
}
