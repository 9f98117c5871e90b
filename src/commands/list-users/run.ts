/** list-users: a tenant's users, never their password hashes. */
import type { OptionsOf } from '../../options';
import type { listUsersOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { parseTenantId } from '../../domain/tenant';
import type { User, UserRecord } from '../../store';
import { requireTenant } from '../../operations/tenants';
import { userColumns } from '../../views/user';
import { PendingTenants } from '../../operations/pending';

export type ListUsersOptions = OptionsOf<typeof listUsersOptions>;

async function* users(records: AsyncIterable<UserRecord>): AsyncGenerator<User> {
  for await (const record of records) yield record.user;
}

export async function listUsers(options: ListUsersOptions, deps: Deps): Promise<Result> {
  const tenantId = parseTenantId(options.tenant);
  const store = await deps.store();
  const tenant = await requireTenant(store, tenantId);
  // The users of a tenant an operation is still writing may be half-made: said on stderr.
  (await PendingTenants.read(store, deps)).note(tenant.tenant);
  return { type: 'list', rows: users(store.users.findByTenant(tenant.tenant.id)), columns: userColumns, noun: 'users' };
}
