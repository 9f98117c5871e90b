/** list-tenants: every matching tenant, streamed, with its device limit and count. */
import type { OptionsOf } from '../../options';
import type { listTenantsOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { parseTenantId, type TenantView } from '../../domain/tenant';
import { streamViews } from '../../operations/tenant-view';
import { tenantColumns } from '../../views/tenant';
import { counted } from '../../progress';
import { requireTenant } from '../../operations/tenants';
import { PendingTenants } from '../../operations/pending';

export type ListTenantsOptions = OptionsOf<typeof listTenantsOptions>;

export async function listTenants(options: ListTenantsOptions, deps: Deps): Promise<Result> {
  const query = {
    id: options.tenant === undefined ? undefined : parseTenantId(options.tenant),
    name: options.name,
    parent: options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id'),
    serviceProvider: options.serviceProvider,
    status: options.status,
    plan: options.plan,
  };
  const store = await deps.store();
  // A Service Provider that does not exist is exit 3 (as in usage), not an empty list.
  if (query.parent !== undefined) await requireTenant(store, query.parent, 'Service Provider');
  // Tenants an operation is still writing are said on stderr as they are listed: one read of the journal.
  const pending = await PendingTenants.read(store, deps);
  return {
    type: 'list',
    // Not narrowed to a few tenants: every limit and device count is read once, not per batch.
    rows: counted(
      pending.noting(withoutToken(
        streamViews(store, store.tenants.find(query), { whole: query.id === undefined && query.name === undefined && query.parent === undefined }),
        options.showToken === true,
      ), (view) => view),
      deps.progress('tenants'),
    ),
    columns: tenantColumns,
    noun: 'tenants',
  };
}

/** The token is a secret and ~700 characters a tenant: listed only when asked for. */
async function* withoutToken(views: AsyncIterable<TenantView>, show: boolean): AsyncGenerator<TenantView> {
  for await (const view of views) {
    if (show) {
      yield view;
    } else {
      const { tenant_token: _token, ...rest } = view;
      yield rest;
    }
  }
}
