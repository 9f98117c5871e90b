import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { NotFoundError } from '../errors';
import { parseTenantId } from '../domain/tenant';
import { ssoColumns, ssoView } from '../views/sso';

export const schema = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
  additionalProperties: false,
} as const;

export type GetSsoOptions = FromSchema<typeof schema>;

export async function getSso(options: GetSsoOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.id);
  const store = await deps.store();
  const record = await store.tenants.findOne({ id });
  if (!record) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
  return { type: 'object', data: await ssoView(store, record), columns: ssoColumns as Column<never>[] };
}
