/** How a tenant's effective SSO settings are shown: secrets masked, and where they come from. */
import type { Column } from '../output';
import type { TenantRecord } from '../store';
import { maskSso, type SsoSettings } from '../domain/sso';
import { inheritsSso, type ResolvedSso } from '../operations/sso';

export interface SsoView {
  /** The tenant's id. */
  id: string;
  /** Whether the tenant uses its Service Provider's settings. */
  inherited: boolean;
  /** The tenant whose settings apply, when inherited. */
  inherited_from?: string;
  configured: boolean;
  /** Secrets masked. */
  settings: SsoSettings | null;
  updated_at?: string;
}

/** The view of a tenant's SSO, from what resolveSso (operations/sso.ts) found. */
export function ssoView(record: TenantRecord, { owner, settings, updatedAt }: ResolvedSso): SsoView {
  const inherited = inheritsSso(record);
  return {
    id: record.tenant.id,
    inherited,
    ...(inherited ? { inherited_from: owner?.tenant.id ?? record.tenant.parent_tenant_id! } : {}),
    configured: settings !== null,
    settings: settings ? maskSso(settings) : null,
    ...(updatedAt ? { updated_at: updatedAt } : {}),
  };
}

export const ssoColumns: Column<SsoView>[] = [
  { header: 'ID', get: (v) => v.id, keep: true },
  { header: 'TYPE', get: (v) => v.settings?.type ?? 'none' },
  { header: 'INHERITED FROM', get: (v) => v.inherited_from ?? '' },
  { header: 'PROVIDER', get: (v) => (v.settings?.type === 'oidc' ? v.settings.issuer : v.settings?.type === 'saml' ? v.settings.entity_id : '') },
  { header: 'SETTINGS', get: (v) => v.settings },
];
