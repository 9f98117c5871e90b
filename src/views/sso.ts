/**
 * Effective SSO settings: a child that inherits reads its Service Provider's settings at
 * the time of reading (a reference, not a copy), so a change on the SP reaches every child.
 */
import type { Column } from '../output';
import type { Store, TenantRecord, TenantFields } from '../store';
import { RuleError } from '../errors';
import { maskSso, type SsoSettings } from '../domain/sso';

export interface SsoView {
  tenant_id: string;
  /** Whether the tenant uses its Service Provider's settings. */
  inherited: boolean;
  /** The tenant whose settings apply, when inherited. */
  inherited_from?: string;
  configured: boolean;
  /** Secrets masked. */
  settings: SsoSettings | null;
  updated_at?: string;
}

/** A tenant inherits when it is flagged so and has a parent to inherit from. */
export function inheritsSso(record: TenantRecord): boolean {
  return record.tenant.sso_inherit === true && typeof record.tenant.parent_tenant_id === 'string';
}

/** Follow inheritance up to the tenant that owns the settings (a few hops at most; cycles end it). */
export async function resolveSso(store: Store, record: TenantRecord): Promise<{ owner: TenantRecord | null; settings: SsoSettings | null; updatedAt?: string }> {
  let owner: TenantRecord | null = record;
  const seen = new Set<string>();
  while (owner && inheritsSso(owner)) {
    if (seen.has(owner.tenant.id) || seen.size >= 8) return { owner: null, settings: null };
    seen.add(owner.tenant.id);
    owner = await store.tenants.findOne({ id: owner.tenant.parent_tenant_id! });
  }
  if (!owner) return { owner: null, settings: null };
  const own = await store.sso.get(owner.tenant.id);
  return { owner, settings: own?.settings ?? null, ...(own?.updatedAt ? { updatedAt: own.updatedAt } : {}) };
}

export async function ssoView(store: Store, record: TenantRecord): Promise<SsoView> {
  const inherited = inheritsSso(record);
  const { owner, settings, updatedAt } = await resolveSso(store, record);
  return {
    tenant_id: record.tenant.id,
    inherited,
    ...(inherited ? { inherited_from: owner?.tenant.id ?? record.tenant.parent_tenant_id! } : {}),
    configured: settings !== null,
    settings: settings ? maskSso(settings) : null,
    ...(updatedAt ? { updated_at: updatedAt } : {}),
  };
}

export const ssoColumns: Column<SsoView>[] = [
  { header: 'TENANT', get: (v) => v.tenant_id },
  { header: 'TYPE', get: (v) => v.settings?.type ?? 'none' },
  { header: 'INHERITED FROM', get: (v) => v.inherited_from ?? '' },
  { header: 'PROVIDER', get: (v) => (v.settings?.type === 'oidc' ? v.settings.issuer : v.settings?.type === 'saml' ? v.settings.entity_id : '') },
  { header: 'SETTINGS', get: (v) => v.settings },
];

/**
 * For create-tenant --parent SP --sso: the fields that make the new child inherit its SP's
 * SSO settings. Refuses (exit 5) when the SP has none to give. Call it inside the `sp:<SP>` lock.
 */
export async function inheritSsoFields(store: Store, parent: TenantRecord): Promise<Pick<TenantFields, 'sso_inherit'>> {
  const { settings } = await resolveSso(store, parent);
  if (!settings) {
    throw new RuleError(
      `the Service Provider ${parent.tenant.id} has no SSO settings for its children to inherit`,
      `set them first: tenantadm set-sso --id ${parent.tenant.id} -f sso.json`,
    );
  }
  return { sso_inherit: true };
}
