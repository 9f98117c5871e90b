/** get-user: one user by email. */
import type { OptionsOf } from '../../options';
import type { getUserOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { NotFoundError } from '../../errors';
import { normalizeEmail, parseTenantId } from '../../domain/tenant';
import { userColumns } from '../../views/user';

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
  return { type: 'object', data: record.user, columns: userColumns };
}
