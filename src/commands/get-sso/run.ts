/** get-sso: a tenant's effective SSO settings, secrets masked. */
import type { OptionsOf } from '../../options';
import type { getSsoOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { parseTenantId } from '../../domain/tenant';
import { resolveSso } from '../../operations/sso';
import { requireTenant } from '../../operations/tenants';
import { ssoColumns, ssoView } from '../../views/sso';

export type GetSsoOptions = OptionsOf<typeof getSsoOptions>;

export async function getSso(options: GetSsoOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.tenant);
  const store = await deps.store();
  const record = await requireTenant(store, id);
  return { type: 'object', data: ssoView(record, await resolveSso(store, record)), columns: ssoColumns };
}
