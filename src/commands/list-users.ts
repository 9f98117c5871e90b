import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { NotFoundError } from '../errors';
import { parseTenantId } from '../domain/tenant';
import type { User, UserRecord } from '../store';
import { userColumns } from '../views/user';

export const schema = {
  type: 'object',
  properties: { tenant: { type: 'string' } },
  required: ['tenant'],
  additionalProperties: false,
} as const;

export type ListUsersOptions = FromSchema<typeof schema>;

async function* users(records: AsyncIterable<UserRecord>): AsyncGenerator<User> {
  for await (const record of records) yield record.user;
}

export async function listUsers(options: ListUsersOptions, deps: Deps): Promise<Result> {
  const tenantId = parseTenantId(options.tenant);
  const store = await deps.store();
  const tenant = await store.tenants.findOne({ id: tenantId });
  if (!tenant) throw new NotFoundError(`no tenant with id ${tenantId}`, 'list them with `tenantadm list-tenants`');
  return { type: 'list', rows: users(store.users.findByTenant(tenant.tenant.id)), columns: userColumns as Column<never>[] };
}
