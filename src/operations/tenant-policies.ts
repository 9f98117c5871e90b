/**
 * Rules update-tenant applies for a Service Provider's policies over its children: which
 * add-ons its children may have (--child-features), that they follow its plan and add-ons, and
 * whether a child inherits the SP's SSO settings (--sso-inherit). The writes ones return the
 * extra writes (children's plan and add-ons, own SSO settings dropped) for the same change set.
 */
import { NotFoundError, RuleError } from '../errors';
import type { AddonName } from '../domain/tenant';
import { assertChildAddonsAllowed, differencesFromSp, forbiddenAddons, inheritedAddons, inheritedFeatures } from '../domain/child-features';
import { tenantObject, type AuditEvent, type SettingsRecord, type Step, type Store, type TenantRecord } from '../store';
import { resolveSso } from './sso';
import { assertInheritableSso, type SsoSettings } from '../domain/sso';

export interface PolicyWrites {
  steps: Step[];
  events: AuditEvent[];
  /** Added to the audit entry of the tenant being updated. */
  described: string[];
}

const MAX_NAMED = 10;

/**
 * An SP's new child-feature policy against its `children`: refused while children use a
 * forbidden add-on, unless `force`; then it says what the change switches off (the children's
 * add-ons themselves are written by `inheritanceWrites`). The lines for the SP's audit entry.
 */
export function checkChildFeaturePolicy(children: readonly TenantRecord[], policy: string[] | null, force: boolean): string[] {
  if (policy === null) return [];
  const offenders = children.map((child) => ({ child, forbidden: forbiddenAddons(policy, child.tenant.addons) })).filter((o) => o.forbidden.length > 0);
  if (offenders.length === 0) return [];
  const named = offenders
    .slice(0, MAX_NAMED)
    .map((o) => `"${o.child.tenant.name}" (${o.child.tenant.id}): ${o.forbidden.join(', ')}`)
    .join('; ');
  const more = offenders.length > MAX_NAMED ? ` and ${offenders.length - MAX_NAMED} more` : '';
  if (!force) {
    throw new RuleError(
      `${offenders.length} child tenant${offenders.length === 1 ? ' uses' : 's use'} add-ons the new policy forbids: ${named}${more}`,
      'switch those add-ons off on the children first, or add --force to switch them off with this change',
      { children: offenders.map((o) => ({ id: o.child.tenant.id, name: o.child.tenant.name, forbidden: o.forbidden })) },
    );
  }
  return [`switched off forbidden add-ons on ${offenders.length} child tenant${offenders.length === 1 ? '' : 's'}`];
}

/**
 * A Service Provider's plan, add-ons or child-features policy changed: every child is given the
 * SP's plan and the SP's add-ons narrowed by its policy, in the same operation (Mender
 * Enterprise 4.x, MEN-7493/MEN-7511: children inherit their SP's plan and add-ons). `children`
 * are the SP's, read once by the caller; those that differ get one audit entry each in the SP's
 * log, and one conditional update per group stored alike.
 */
export function inheritanceWrites(store: Store, spAfter: TenantRecord, children: readonly TenantRecord[], now: Date): PolicyWrites {
  const out: PolicyWrites = { steps: [], events: [], described: [] };
  const sp = spAfter.tenant;
  const { plan } = inheritedFeatures(sp);
  // Children stored alike (the usual case: all of them) are changed by one conditional updateMany.
  const groups = new Map<string, { children: TenantRecord[]; addons: unknown }>();
  for (const child of children) {
    const differs = differencesFromSp(sp, child.tenant.plan, child.tenant.addons);
    if (differs.length === 0) continue;
    const addons = inheritedAddons(sp, child.tenant.addons);
    const key = JSON.stringify([child.raw.plan ?? null, child.raw.addons ?? null, addons]);
    const group = groups.get(key) ?? { children: [], addons };
    group.children.push(child);
    groups.set(key, group);
    const c = child.tenant;
    out.events.push({
      action: 'update',
      tenantId: c.id,
      parentId: sp.id,
      object: tenantObject(c.id, c.name, sp.id),
      change: `follows its Service Provider's plan and add-ons: ${differs.map((d) => d.replace(/ \(its Service Provider's: (.*)\)$/, ' -> $1')).join('; ')}`,
    });
  }
  for (const g of groups.values()) out.steps.push(store.tenants.updateGroupStep(g.children, ['plan', 'addons'], { plan, addons: g.addons as TenantRecord['tenant']['addons'] }, now));
  const n = out.events.length;
  if (n > 0) out.described.push(`${n} child tenant${n === 1 ? '' : 's'} given its plan and add-ons`);
  return out;
}

/** A child may only switch on add-ons its SP's policy allows (switching off is always fine). */
export async function assertChildAddonChange(store: Store, child: TenantRecord, addons: Map<AddonName, boolean>): Promise<void> {
  const parentId = child.tenant.parent_tenant_id;
  if (!parentId) return;
  const turningOn = [...addons]
    .filter(([name, on]) => on && child.tenant.addons.find((a) => a.name === name)?.enabled !== true)
    .map(([name]) => ({ name, enabled: true }));
  if (turningOn.length === 0) return;
  const parent = await store.tenants.findOne({ id: parentId });
  assertChildAddonsAllowed(parent?.tenant, turningOn, `its child ${child.tenant.id}`);
}

/** Switching a child to inherited SSO drops the child's own settings in the same change. */
export async function ssoInheritWrites(store: Store, record: TenantRecord, inherit: boolean | null | undefined): Promise<PolicyWrites> {
  if (inherit !== true || record.tenant.sso_inherit === true) return ssoInheritWritesOf(store, record, inherit, { parent: null, parentSettings: null, own: null });
  const parentId = record.tenant.parent_tenant_id;
  const parent = parentId ? await store.tenants.findOne({ id: parentId }) : null;
  const parentSettings = parent ? (await resolveSso(store, parent)).settings : null;
  const own = parent ? await store.sso.get(record.tenant.id) : null;
  return ssoInheritWritesOf(store, record, inherit, { parent, parentSettings, own });
}

/**
 * ssoInheritWrites on what the caller read (apply reads them for every tenant at once): the
 * child's Service Provider, the SSO settings the SP gives (its own, or those it inherits), and
 * the child's own settings document. Refuses (exit 5) a tenant without an SP, or an SP without
 * settings; the child's own settings are deleted in the same change.
 */
export function ssoInheritWritesOf(
  store: Store,
  record: TenantRecord,
  inherit: boolean | null | undefined,
  read: { parent: TenantRecord | null; parentSettings: SsoSettings | null; own: SettingsRecord<SsoSettings> | null },
): PolicyWrites {
  const out: PolicyWrites = { steps: [], events: [], described: [] };
  if (inherit !== true || record.tenant.sso_inherit === true) return out;
  const parentId = record.tenant.parent_tenant_id;
  if (!parentId) {
    throw new RuleError(
      `tenant ${record.tenant.id} has no Service Provider to inherit SSO settings from`,
      'only a child tenant (one with parent_tenant_id) can inherit; give it its own with tenantadm set-sso',
    );
  }
  if (!read.parent) throw new NotFoundError(`the Service Provider ${parentId} of tenant ${record.tenant.id} does not exist`);
  assertInheritableSso(read.parent.tenant.id, read.parentSettings);
  if (read.own) {
    out.steps.push(store.sso.deleteStep(read.own));
    out.described.push('its own SSO settings were removed');
  }
  return out;
}
