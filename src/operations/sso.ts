/**
 * Effective SSO settings: a child that inherits reads its Service Provider's settings at
 * the time of reading (a reference, not a copy), so a change on the SP reaches every child.
 * These are the reads that follow the inheritance; the rules stand in domain/sso.ts and the
 * presentation in views/sso.ts.
 */
import type { Store, TenantRecord, TenantFields } from '../store';
import { assertInheritableSso, type SsoSettings } from '../domain/sso';

/** What a tenant's SSO resolves to: the tenant that owns the settings, and those settings. */
export interface ResolvedSso {
  owner: TenantRecord | null;
  settings: SsoSettings | null;
  updatedAt?: string;
}

/** A tenant inherits when it is flagged so and has a parent to inherit from. */
export function inheritsSso(record: TenantRecord): boolean {
  return record.tenant.sso_inherit === true && typeof record.tenant.parent_tenant_id === 'string';
}

/** Follow inheritance up to the tenant that owns the settings (a few hops at most; cycles end it). */
export async function resolveSso(store: Store, record: TenantRecord): Promise<ResolvedSso> {
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

/**
 * For create-tenant --parent SP --sso: the fields that make the new child inherit its SP's
 * SSO settings. Refuses (exit 5) when the SP has none to give. Call it inside the `sp:<SP>` lock.
 */
export async function inheritSsoFields(store: Store, parent: TenantRecord): Promise<Pick<TenantFields, 'sso_inherit'>> {
  const { settings } = await resolveSso(store, parent);
  assertInheritableSso(parent.tenant.id, settings);
  return { sso_inherit: true };
}
