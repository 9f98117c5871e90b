import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { PLANS, STATUSES, parseTenantId } from '../domain/tenant';
import { streamViews, tenantColumns } from '../views/tenant';

export const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    parent: { type: 'string' },
    serviceProvider: { type: 'boolean' },
    status: { type: 'string', enum: [...STATUSES] },
    plan: { type: 'string', enum: [...PLANS] },
  },
  additionalProperties: false,
} as const;

export type ListTenantsOptions = FromSchema<typeof schema>;

export async function listTenants(options: ListTenantsOptions, deps: Deps): Promise<Result> {
  const query = {
    id: options.id === undefined ? undefined : parseTenantId(options.id),
    name: options.name,
    parent: options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id'),
    serviceProvider: options.serviceProvider,
    status: options.status,
    plan: options.plan,
  };
  const store = await deps.store();
  return {
    type: 'list',
    // Not narrowed to a few tenants: every limit and device count is read once, not per batch.
    rows: streamViews(store, store.tenants.find(query), { whole: query.id === undefined && query.name === undefined && query.parent === undefined }),
    columns: tenantColumns as Column<never>[],
  };
}
