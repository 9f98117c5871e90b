/**
 * A Service Provider's policy of the add-ons its children may use: a list stored on the
 * SP as `child_features`. No list means no restriction; an empty list allows none.
 */
import { RuleError, UsageError } from '../errors';
import { ADDONS, applyAddons, type Addon, type AddonName, type Tenant } from './tenant';

/** `a,b` sets the list, `none` allows no add-on, `all` removes the policy (null). */
export function parseChildFeatures(raw: string): AddonName[] | null {
  const text = raw.trim().toLowerCase();
  if (text === 'all') return null;
  if (text === 'none') return [];
  const out: AddonName[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(ADDONS as readonly string[]).includes(part)) {
      throw new UsageError(`invalid child feature "${part}"`, `give a comma list of ${ADDONS.join(', ')}, or "none", or "all"`);
    }
    if (!out.includes(part as AddonName)) out.push(part as AddonName);
  }
  // Stored in the canonical add-on order, so equal policies compare equal.
  return ADDONS.filter((a) => out.includes(a));
}

/** The SP's policy, or null when its children may use every add-on. */
export function childFeaturePolicy(parent: Tenant | null | undefined): string[] | null {
  return parent && Array.isArray(parent.child_features) ? parent.child_features.map(String) : null;
}

/** Enabled add-ons that a policy does not allow. */
export function forbiddenAddons(policy: string[] | null, addons: Addon[]): string[] {
  if (policy === null) return [];
  return addons.filter((a) => a.enabled && !policy.includes(a.name)).map((a) => a.name);
}

/**
 * Refuse (exit 5) to give a child of `parent` an add-on outside the parent's policy.
 * create-tenant --parent and update-tenant --addon call this inside the `sp:<parent>` lock.
 */
export function assertChildAddonsAllowed(parent: Tenant | null | undefined, addons: Addon[], childLabel = 'a child'): void {
  const policy = childFeaturePolicy(parent);
  const forbidden = forbiddenAddons(policy, addons);
  if (forbidden.length > 0 && parent) {
    throw new RuleError(
      `the Service Provider ${parent.id} does not allow ${forbidden.join(', ')} for ${childLabel} (allowed: ${policy!.length ? policy!.join(', ') : 'none'})`,
      `ask the Service Provider to allow it: tenantadm update-tenant --tenant ${parent.id} --child-features ${[...policy!, ...forbidden].join(',')}`,
      { forbidden, allowed: policy },
    );
  }
}

/**
 * What a child of `sp` has, as Mender Enterprise 4.x sees it: its SP's plan and the SP's
 * enabled add-ons, narrowed by the SP's policy (MEN-7493: an SP is limited in what it
 * configures for its children; MEN-7511: an SP's add-ons are its children's).
 */
export function inheritedFeatures(sp: Tenant): { plan: string; addons: AddonName[] } {
  const policy = childFeaturePolicy(sp);
  const on = new Set(sp.addons.filter((a) => a.enabled).map((a) => a.name));
  return { plan: sp.plan, addons: ADDONS.filter((a) => on.has(a) && (policy === null || policy.includes(a))) };
}

/** `current` with exactly the inherited add-ons on (unknown entries switched off, their order kept). */
export function inheritedAddons(sp: Tenant, current: Addon[]): Addon[] {
  const { addons } = inheritedFeatures(sp);
  const next = applyAddons(current, new Map(ADDONS.map((a) => [a, addons.includes(a)])));
  return next.map((a) => (a.enabled && !(addons as string[]).includes(a.name) ? { ...a, enabled: false } : a));
}

/** How a plan and add-ons differ from what a child of `sp` has: `plan os (its Service Provider's: enterprise)`, one item each. */
export function differencesFromSp(sp: Tenant, plan: string, addons: Addon[]): string[] {
  const inherited = inheritedFeatures(sp);
  const out: string[] = [];
  if (plan !== inherited.plan) out.push(`plan ${plan} (its Service Provider's: ${inherited.plan})`);
  const on = new Set(addons.filter((a) => a.enabled).map((a) => a.name));
  for (const name of [...new Set([...ADDONS, ...on])]) {
    const has = on.has(name);
    const should = (inherited.addons as string[]).includes(name);
    if (has !== should) out.push(`add-on ${name} ${has ? 'on' : 'off'} (its Service Provider's: ${should ? 'on' : 'off'})`);
  }
  return out;
}
