import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { NotFoundError } from '../errors';
import { normalizeEmail, parseTenantId } from '../domain/tenant';
import { userColumns } from '../views/user';

export const schema = {
  type: 'object',
  properties: {
    email: { type: 'string' },
    tenant: { type: 'string' },
  },
  required: ['email'],
  additionalProperties: false,
} as const;

export type GetUserOptions = FromSchema<typeof schema>;

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
  return { type: 'object', data: record.user, columns: userColumns as Column<never>[] };
}
